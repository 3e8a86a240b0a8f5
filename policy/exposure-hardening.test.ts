import { describe, expect, it } from "vitest";
import { INTERNAL_PORT_MAX, INTERNAL_PORT_MIN } from "../targets/aws-ports";
import { etcdTlsEverywhere } from "./etcd-tls";
import { etcdPortsNotPublic, INTERNAL_HOST_PORTS, securityGroupNoAllPortsBetweenHosts, sshNotOpenToWorld, statsNotPublic } from "./exposure";
import { container, etcdMember, TLS_FILES } from "./fixtures";
import { isWorldCidr } from "./ingress";
import { TYPES } from "./resources";
import { runResourcePolicy, runStackPolicy, type ResourceCase } from "./testing";

const sg = (ingress: Record<string, unknown>[]): ResourceCase => ({ type: TYPES.securityGroup, name: "aws-sg", props: { vpcId: "vpc-1", ingress } });
const gateway = (ports: Record<string, unknown>[]): ResourceCase =>
  container({ command: ["--kind", "haproxy", "--stats", "0.0.0.0:1936", "--metrics", "0.0.0.0:9100"], ports }, "gateway");

describe("world-open CIDRs", () => {
  it("count /0 and near-world prefixes, not private space or a single address", () => {
    for (const c of ["0.0.0.0/0", "0.0.0.0/1", "128.0.0.0/1", "64.0.0.0/2", "11.0.0.0/8", "::/0", "2000::/3"]) expect(isWorldCidr(c), c).toBe(true);
    for (const c of ["10.0.0.0/8", "203.0.113.7/32", "172.16.0.0/12", "10.42.0.0/16", "fc00::/7", "2001:db8::/32"]) expect(isWorldCidr(c), c).toBe(false);
  });

  it("ssh opened to the internet in two halves is caught", async () => {
    const { violations } = await runResourcePolicy(sshNotOpenToWorld, sg([{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] }]));
    expect(violations).toEqual([expect.stringContaining("opens ssh port 22 to 0.0.0.0/1 and 128.0.0.0/1")]);
  });
});

describe("etcd-ports-not-public: the aws target's host ports", () => {
  it("uses the aws target's internal host-port range", () => {
    expect(INTERNAL_HOST_PORTS).toEqual({ min: INTERNAL_PORT_MIN, max: INTERNAL_PORT_MAX });
  });

  it("rejects a world-open rule over the range where members are published, not one inside the group", async () => {
    const { violations } = await runResourcePolicy(etcdPortsNotPublic, sg([{ protocol: "tcp", fromPort: 20000, toPort: 29999, cidrBlocks: ["0.0.0.0/0"] }, { protocol: "tcp", fromPort: 20000, toPort: 29999, self: true }]));
    expect(violations).toEqual([expect.stringContaining('Security group "aws-sg" ingress[0] (tcp 20000-29999) opens host ports in 20000-29999 to 0.0.0.0/0')]);
  });
});

describe("stats-and-metrics-not-public", () => {
  it("passes stats and metrics on 127.0.0.1 / a private IP with no world-open rule", async () => {
    const ok = await runStackPolicy(statsNotPublic, [gateway([{ internal: 8000, external: 8000, ip: "0.0.0.0" }, { internal: 1936, external: 1936, ip: "127.0.0.1" }, { internal: 9100, external: 9100, ip: "10.42.0.5" }]), sg([{ protocol: "tcp", fromPort: 8000, toPort: 8000, cidrBlocks: ["0.0.0.0/0"] }, { protocol: "tcp", fromPort: 1936, toPort: 1936, cidrBlocks: ["203.0.113.7/32"] }])]);
    expect(ok.violations).toEqual([]);
  });

  it("rejects the stats page and the registrator's metrics on all interfaces, and a rule opening the stats port to the world", async () => {
    const registrator = container({ envs: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: ["HOST_IP=10.0.0.1", "REGISTRATOR_LISTEN=0.0.0.0:9102"] }, ports: [{ internal: 9102, external: 9102 }] }, "registrator");
    const { violations } = await runStackPolicy(statsNotPublic, [gateway([{ internal: 1936, external: 8888, ip: "0.0.0.0" }, { internal: 9100, external: 9100, ip: "127.0.0.1" }]), registrator, sg([{ protocol: "tcp", fromPort: 8888, toPort: 8888, cidrBlocks: ["0.0.0.0/0"] }])]);
    expect(violations.map((v) => v.message)).toEqual([
      expect.stringContaining('container "sy-gateway" (resource gateway) publishes its stats page (port 1936) as host port 8888 on all interfaces'),
      expect.stringContaining('container "sy-registrator" (resource registrator) publishes its metrics (port 9102) as host port 9102 on all interfaces (ip not set'),
      expect.stringContaining('Security group "aws-sg" ingress[0] (tcp 8888-8888) opens the stats page of container "sy-gateway" (resource gateway) (host port 8888) to 0.0.0.0/0'),
    ]);
  });
});

describe("security-group-no-all-ports-between-hosts", () => {
  it("is advisory; passes per-role rules, reports every port between the group's hosts", async () => {
    expect(securityGroupNoAllPortsBetweenHosts.enforcementLevel).toBe("advisory");
    const perRole = sg([{ protocol: "tcp", fromPort: 2380, toPort: 2380, self: true }, { protocol: "tcp", fromPort: 20000, toPort: 20999, self: true }]);
    expect((await runResourcePolicy(securityGroupNoAllPortsBetweenHosts, perRole)).violations).toEqual([]);
    const all = sg([{ protocol: "tcp", fromPort: 0, toPort: 65535, self: true }, { protocol: "-1", fromPort: 0, toPort: 0, securityGroups: ["sg-2"] }]);
    expect((await runResourcePolicy(securityGroupNoAllPortsBetweenHosts, all)).violations).toEqual([
      expect.stringContaining('Security group "aws-sg" ingress[0] (tcp 0-65535) lets every host of the group reach every port of every other'),
      expect.stringContaining("ingress[1] (all protocols and ports)"),
    ]);
  });
});

describe("etcd-tls-everywhere", () => {
  it("is advisory; passes a TLS member, reports a plain-http member even on one Docker host", async () => {
    expect(etcdTlsEverywhere.enforcementLevel).toBe("advisory");
    expect((await runResourcePolicy(etcdTlsEverywhere, etcdMember({ tls: TLS_FILES }))).violations).toEqual([]);
    const { violations } = await runResourcePolicy(etcdTlsEverywhere, etcdMember());
    expect(violations).toEqual([expect.stringContaining('etcd container "sy-etcd-0" (resource etcd-0) runs without TLS and client-certificate authentication')]);
    expect(violations[0]).toContain("Fix: pulumi config set etcd.tls true");
  });
});
