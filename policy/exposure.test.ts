import { describe, expect, it } from "vitest";
import { container, etcdMember, etcdProxyContainer } from "./fixtures";
import { etcdPortsNotPublic, sshNotOpenToWorld } from "./exposure";
import { TYPES } from "./resources";
import { runResourcePolicy, type ResourceCase } from "./testing";

const sg = (ingress: Record<string, unknown>[]): ResourceCase => ({ type: TYPES.securityGroup, name: "etcd-sg", props: { vpcId: "vpc-1", ingress } });
const sgRule = (props: Record<string, unknown>): ResourceCase => ({ type: TYPES.securityGroupRule, name: "rule", props: { securityGroupId: "sg-1", type: "ingress", ...props } });
const vpcRule = (props: Record<string, unknown>): ResourceCase => ({ type: TYPES.securityGroupIngressRule, name: "vpc-rule", props: { securityGroupId: "sg-1", ...props } });

describe("etcd-ports-not-public: docker", () => {
  it("passes members with no published ports and a proxy published on 127.0.0.1", async () => {
    expect((await runResourcePolicy(etcdPortsNotPublic, etcdMember())).violations).toEqual([]);
    expect((await runResourcePolicy(etcdPortsNotPublic, etcdProxyContainer([{ internal: 23790, external: 2379, ip: "127.0.0.1" }]))).violations).toEqual([]);
  });

  it("rejects 2379/2380 published with ip missing, 0.0.0.0 or ::", async () => {
    const c = etcdMember({ ports: [{ internal: 2379, external: 2379 }, { internal: 2380, external: 2380, ip: "0.0.0.0" }, { internal: 2379, external: 12379, ip: "::" }] });
    const { violations } = await runResourcePolicy(etcdPortsNotPublic, c);
    expect(violations).toHaveLength(3);
    expect(violations[0]).toContain('etcd container "sy-etcd-0" (resource etcd-0) publishes etcd port 2379 as host port 2379 on all interfaces (ip not set, which Docker binds to 0.0.0.0)');
    expect(violations[0]).toContain('Fix: publish it on 127.0.0.1 only (ports[].ip = "127.0.0.1"');
    expect(violations[1]).toContain('etcd port 2380 as host port 2380 on all interfaces (ip "0.0.0.0")');
    expect(violations[2]).toContain('etcd port 2379 as host port 12379 on all interfaces (ip "::")');
  });

  it("knows the proxy's own listen port", async () => {
    const { violations } = await runResourcePolicy(etcdPortsNotPublic, etcdProxyContainer([{ internal: 23790, external: 2379, ip: "0.0.0.0" }]));
    expect(violations).toEqual([expect.stringContaining("publishes etcd port 23790 as host port 2379 on all interfaces")]);
  });

  it("rejects etcd on the host network listening on all interfaces", async () => {
    const { violations } = await runResourcePolicy(etcdPortsNotPublic, etcdMember({ extra: { networkMode: "host" } }));
    expect(violations).toEqual([expect.stringContaining('runs etcd with networkMode "host" listening on all interfaces')]);
  });

  it("lets other containers publish their ports, e.g. the gateway on 0.0.0.0:8000", async () => {
    expect((await runResourcePolicy(etcdPortsNotPublic, container({ ports: [{ internal: 8000, external: 8000, ip: "0.0.0.0" }] }, "gateway"))).violations).toEqual([]);
  });
});

describe("etcd-ports-not-public: AWS security groups", () => {
  it("passes etcd ports open only inside the group and a public gateway port", async () => {
    const ok = sg([
      { protocol: "tcp", fromPort: 2379, toPort: 2380, self: true },
      { protocol: "tcp", fromPort: 8000, toPort: 8000, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
    ]);
    expect((await runResourcePolicy(etcdPortsNotPublic, ok)).violations).toEqual([]);
  });

  it("rejects 2379/2380 open to the world in each rule shape", async () => {
    const inline = await runResourcePolicy(etcdPortsNotPublic, sg([{ protocol: "tcp", fromPort: 2379, toPort: 2380, cidrBlocks: ["10.0.0.0/16", "0.0.0.0/0"] }]));
    expect(inline.violations).toEqual([expect.stringContaining('Security group "etcd-sg" ingress[0] (tcp 2379-2380) opens etcd client/peer port 2379/2380 to 0.0.0.0/0.')]);
    expect(inline.violations[0]).toContain("Fix: allow 2379/2380 only from the stack's own security group");
    const rule = await runResourcePolicy(etcdPortsNotPublic, sgRule({ protocol: "tcp", fromPort: 2380, toPort: 2380, ipv6CidrBlocks: ["::/0"] }));
    expect(rule.violations).toEqual([expect.stringContaining('"rule" the rule (tcp 2380-2380) opens etcd client/peer port 2380 to ::/0')]);
    const vpc = await runResourcePolicy(etcdPortsNotPublic, vpcRule({ ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" }));
    expect(vpc.violations).toEqual([expect.stringContaining("(all protocols and ports) opens etcd client/peer port 2379/2380 to 0.0.0.0/0")]);
  });

  it("ignores egress rules and non-TCP protocols", async () => {
    expect((await runResourcePolicy(etcdPortsNotPublic, sgRule({ type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }))).violations).toEqual([]);
    expect((await runResourcePolicy(etcdPortsNotPublic, sg([{ protocol: "udp", fromPort: 2379, toPort: 2379, cidrBlocks: ["0.0.0.0/0"] }]))).violations).toEqual([]);
  });
});

describe("ssh-not-open-to-world", () => {
  it("passes ssh from the operator's CIDR and the gateway port from anywhere", async () => {
    const ok = sg([
      { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.7/32"] },
      { protocol: "tcp", fromPort: 8000, toPort: 8000, cidrBlocks: ["0.0.0.0/0"] },
    ]);
    expect((await runResourcePolicy(sshNotOpenToWorld, ok)).violations).toEqual([]);
  });

  it("rejects 22 open to 0.0.0.0/0 or ::/0, also through a port range", async () => {
    const { violations } = await runResourcePolicy(sshNotOpenToWorld, sg([{ protocol: "tcp", fromPort: 0, toPort: 1024, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }]));
    expect(violations).toEqual([expect.stringContaining('Security group "etcd-sg" ingress[0] (tcp 0-1024) opens ssh port 22 to 0.0.0.0/0 and ::/0. Fix: allow 22 only from the operator\'s CIDR')]);
    const vpc = await runResourcePolicy(sshNotOpenToWorld, vpcRule({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "::/0" }));
    expect(vpc.violations).toEqual([expect.stringContaining("opens ssh port 22 to ::/0")]);
  });

  it("rejects a container publishing 22 on all interfaces", async () => {
    const { violations } = await runResourcePolicy(sshNotOpenToWorld, container({ ports: [{ internal: 22, external: 2222 }] }, "bastion"));
    expect(violations).toEqual([expect.stringContaining('container "sy-bastion" (resource bastion) publishes ssh port 22 as host port 2222 on all interfaces')]);
  });

  it("is not applicable to instances", async () => {
    expect((await runResourcePolicy(sshNotOpenToWorld, { type: TYPES.instance, props: {} })).notApplicable).toBeDefined();
  });
});
