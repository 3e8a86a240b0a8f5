import { describe, expect, it } from "vitest";
import { etcdClusterComplete, etcdMemberCount, etcdSingleMember } from "./etcd-cluster";
import { container, etcdMember, etcdProxyContainer } from "./fixtures";
import { runResourcePolicy, runStackPolicy } from "./testing";

describe("etcd-member-count", () => {
  it("passes a 3-member and a 5-member cluster", async () => {
    expect((await runResourcePolicy(etcdMemberCount, etcdMember({ size: 3 }))).violations).toEqual([]);
    expect((await runResourcePolicy(etcdMemberCount, etcdMember({ size: 5 }))).violations).toEqual([]);
  });

  it("rejects an even count, saying why and what to set", async () => {
    const { violations } = await runResourcePolicy(etcdMemberCount, etcdMember({ size: 2 }));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain("bootstraps a cluster of 2 members (--initial-cluster: etcd-0, etcd-1)");
    expect(violations[0]).toContain("Fix: use an odd number of members, at least 3");
    expect(violations[0]).toContain("pulumi config set etcd.members 3");
    expect((await runResourcePolicy(etcdMemberCount, etcdMember({ size: 4 }))).violations[0]).toContain("cluster of 4 members");
  });

  it("leaves a single member to the advisory policy", async () => {
    expect((await runResourcePolicy(etcdMemberCount, etcdMember({ size: 1 }))).violations).toEqual([]);
  });

  it("reads ETCD_INITIAL_CLUSTER when the flags are passed as environment variables", async () => {
    const c = container({ command: [], envs: ["ETCD_NAME=a", "ETCD_INITIAL_CLUSTER=a=http://a:2380,b=http://b:2380"] }, "env-member");
    expect((await runResourcePolicy(etcdMemberCount, c)).violations[0]).toContain("cluster of 2 members (--initial-cluster: a, b)");
  });

  it("is not applicable to the proxy or other containers", async () => {
    expect((await runResourcePolicy(etcdMemberCount, etcdProxyContainer([]))).notApplicable).toMatch(/etcd member/);
    expect((await runResourcePolicy(etcdMemberCount, container({}))).notApplicable).toMatch(/etcd member/);
  });
});

describe("etcd-single-member (advisory)", () => {
  it("is advisory and passes a 3-member cluster", async () => {
    expect(etcdSingleMember.enforcementLevel).toBe("advisory");
    expect((await runResourcePolicy(etcdSingleMember, etcdMember({ size: 3 }))).violations).toEqual([]);
  });

  it("reports a single member with the way to make it strict", async () => {
    const { violations } = await runResourcePolicy(etcdSingleMember, etcdMember({ size: 1 }));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain('etcd container "sy-etcd-0" (resource etcd-0) is the only member of its cluster');
    expect(violations[0]).toContain("set this policy to mandatory");
  });
});

describe("etcd-cluster-complete (stack)", () => {
  it("passes when every listed member is declared", async () => {
    const stack = [0, 1, 2].map((index) => etcdMember({ index })).concat([etcdProxyContainer([]), container({})]);
    expect((await runStackPolicy(etcdClusterComplete, stack)).violations).toEqual([]);
  });

  it("reports listed members that have no container", async () => {
    const stack = [0, 1].map((index) => etcdMember({ index }));
    const { violations } = await runStackPolicy(etcdClusterComplete, stack);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain("lists 3 members in --initial-cluster (etcd-0, etcd-1, etcd-2) but the stack declares 2 member containers");
    expect(violations[0].message).toContain("missing: etcd-2");
    expect(violations[0].message).toContain("Fix: declare exactly one container per listed member");
  });

  it("keeps two clusters (two tokens) apart", async () => {
    const stack = [0, 1, 2].map((index) => etcdMember({ index })).concat([0, 1, 2].map((index) => ({ ...etcdMember({ index, token: "other" }), name: `other-${index}` })));
    expect((await runStackPolicy(etcdClusterComplete, stack)).violations).toEqual([]);
  });

  it("is not applicable to a stack without etcd members", async () => {
    expect((await runStackPolicy(etcdClusterComplete, [container({})])).notApplicable).toMatch(/no etcd member/);
  });
});
