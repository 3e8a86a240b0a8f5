import { describe, expect, it } from "vitest";
import { etcdMember, TLS_FILES } from "./fixtures";
import { etcdTlsOnRemoteHosts, isRemoteDockerHost } from "./etcd-tls";
import { runResourcePolicy } from "./testing";

// Synthetic AWS-target members: deployed over ssh to an EC2 host's Docker daemon, as the AWS target will.
const REMOTE = "ssh://admin@10.0.1.17";

describe("isRemoteDockerHost", () => {
  it("treats the local socket, npipe and loopback as local; ssh/tcp to another address as remote", () => {
    for (const h of [undefined, "", "unix:///var/run/docker.sock", "npipe:////./pipe/docker_engine", "tcp://127.0.0.1:2375", "ssh://me@localhost"]) expect(isRemoteDockerHost(h)).toBe(false);
    for (const h of [REMOTE, "tcp://10.0.0.5:2376", "ssh://ec2-user@ec2-3-4-5-6.compute.amazonaws.com:22"]) expect(isRemoteDockerHost(h)).toBe(true);
  });
});

describe("etcd-tls-on-remote-hosts", () => {
  it("passes a TLS member on a remote host", async () => {
    expect((await runResourcePolicy(etcdTlsOnRemoteHosts, etcdMember({ tls: TLS_FILES, dockerHost: REMOTE }))).violations).toEqual([]);
  });

  it("rejects a plain-http member on a remote host, listing what is missing and how to fix it", async () => {
    const { violations } = await runResourcePolicy(etcdTlsOnRemoteHosts, etcdMember({ dockerHost: REMOTE }));
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(`etcd container "sy-etcd-0" (resource etcd-0) runs on the remote Docker host ${REMOTE} without TLS:`);
    expect(violations[0]).toContain("--listen-client-urls uses http://0.0.0.0:2379");
    expect(violations[0]).toContain("--initial-cluster has non-https peers (etcd-0, etcd-1, etcd-2)");
    expect(violations[0]).toContain("--client-cert-auth");
    expect(violations[0]).toContain("Fix: give the member a certificate");
  });

  it("rejects https without client-certificate authentication", async () => {
    const m = etcdMember({ tls: TLS_FILES, dockerHost: REMOTE });
    m.props.command = (m.props.command as string[]).filter((f) => f !== "--client-cert-auth" && f !== "--peer-client-cert-auth");
    const { violations } = await runResourcePolicy(etcdTlsOnRemoteHosts, m);
    expect(violations).toEqual([expect.stringMatching(/without TLS: --client-cert-auth; --peer-client-cert-auth\./)]);
  });

  it("does not apply on the local Docker daemon or to non-members", async () => {
    expect((await runResourcePolicy(etcdTlsOnRemoteHosts, etcdMember())).notApplicable).toMatch(/local Docker daemon/);
    expect((await runResourcePolicy(etcdTlsOnRemoteHosts, etcdMember({ dockerHost: "unix:///var/run/docker.sock" }))).notApplicable).toMatch(/local/);
  });
});
