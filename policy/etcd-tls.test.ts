import { describe, expect, it } from "vitest";
import { etcdMember, TLS_FILES } from "./fixtures";
import { etcdTlsAcrossHosts, missingTls, offHostExposure } from "./etcd-tls";
import { etcdSettings } from "./etcd-settings";
import { runResourcePolicy } from "./testing";

// Synthetic AWS-target member: deployed over ssh to an EC2 host's Docker daemon, client and peer ports
// published on the host's private address so that members on the other hosts can dial them.
const PRIVATE_IP = "10.0.1.17";
const awsPorts = [{ internal: 2379, external: 2379, ip: PRIVATE_IP }, { internal: 2380, external: 2380, ip: PRIVATE_IP }];
const awsMember = (tls = true) => etcdMember({ tls: tls ? TLS_FILES : undefined, ports: awsPorts, dockerHost: `ssh://admin@${PRIVATE_IP}` });

describe("offHostExposure / missingTls", () => {
  it("sees published non-loopback ports and host networking, not loopback publications", () => {
    const s = (m: ReturnType<typeof etcdMember>) => etcdSettings(m.props)!;
    const aws = awsMember();
    expect(offHostExposure(aws.props, s(aws))).toEqual([`port 2379 published on ${PRIVATE_IP}:2379`, `port 2380 published on ${PRIVATE_IP}:2380`]);
    const loopback = etcdMember({ ports: [{ internal: 2379, external: 2379, ip: "127.0.0.1" }] });
    expect(offHostExposure(loopback.props, s(loopback))).toEqual([]);
    const host = etcdMember({ extra: { networkMode: "host" } });
    expect(offHostExposure(host.props, s(host))).toEqual(["host network, listening on 0.0.0.0"]);
  });

  it("finds nothing missing in memberFlags' TLS output", () => {
    expect(missingTls(etcdSettings(awsMember().props)!)).toEqual([]);
  });
});

describe("etcd-tls-across-hosts", () => {
  it("passes a TLS member reachable from other hosts", async () => {
    expect((await runResourcePolicy(etcdTlsAcrossHosts, awsMember())).violations).toEqual([]);
  });

  it("rejects a plain-http member reachable from other hosts, listing what is missing and how to fix it", async () => {
    const { violations } = await runResourcePolicy(etcdTlsAcrossHosts, awsMember(false));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(`etcd container "sy-etcd-0" (resource etcd-0) is reachable from outside its Docker host (port 2379 published on ${PRIVATE_IP}:2379; port 2380 published on ${PRIVATE_IP}:2380) without TLS:`);
    expect(violations[0]).toContain("--listen-client-urls uses http://0.0.0.0:2379");
    expect(violations[0]).toContain("--initial-cluster has non-https peers (etcd-0, etcd-1, etcd-2)");
    expect(violations[0]).toContain("--cert-file; --key-file; --trusted-ca-file");
    expect(violations[0]).toContain("Fix: give the member a certificate");
  });

  it("rejects https without client-certificate authentication", async () => {
    const m = awsMember();
    m.props.command = (m.props.command as string[]).filter((f) => f !== "--client-cert-auth" && f !== "--peer-client-cert-auth");
    const { violations } = await runResourcePolicy(etcdTlsAcrossHosts, m);
    expect(violations).toEqual([expect.stringMatching(/without TLS: --client-cert-auth; --peer-client-cert-auth\./)]);
  });

  it("does not apply to members reachable only inside their Docker host (the docker target), nor to non-members", async () => {
    expect((await runResourcePolicy(etcdTlsAcrossHosts, etcdMember())).notApplicable).toMatch(/only inside its Docker host/);
    expect((await runResourcePolicy(etcdTlsAcrossHosts, etcdMember({ dockerHost: "ssh://admin@10.0.0.9" }))).notApplicable).toMatch(/only inside/);
    expect((await runResourcePolicy(etcdTlsAcrossHosts, { type: "docker:index/container:Container", props: { image: "nginx:1.25" } })).notApplicable).toMatch(/not an etcd member/);
  });
});
