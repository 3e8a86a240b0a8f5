import { describe, expect, it } from "vitest";
import { clusterToken, memberFlags, proxyFlags, type EtcdMemberAddress } from "./flags";

const members: EtcdMemberAddress[] = [0, 1, 2].map((i) => ({ name: `etcd-${i}`, host: `sy-etcd-${i}`, clientPort: 2379, peerPort: 2380 }));
const flagMap = (flags: string[]) => Object.fromEntries(flags.map((f) => f.replace(/^--/, "").split(/=(.*)/s).slice(0, 2)));

describe("memberFlags", () => {
  const all = members.map((m) => flagMap(memberFlags({ self: m.name, members, clusterToken: "tok", dataDir: `/var/lib/etcd/${m.name}`, listenHost: "0.0.0.0" })));

  it("every --initial-cluster entry matches that member's advertised peer URL", () => {
    for (const f of all) {
      const entries = Object.fromEntries(f["initial-cluster"].split(",").map((e: string) => e.split("=")));
      for (const g of all) expect(entries[g.name]).toBe(g["initial-advertise-peer-urls"]);
      expect(Object.keys(entries)).toHaveLength(3);
    }
  });

  it("all members share one token and one --initial-cluster; names and data dirs are distinct", () => {
    expect(new Set(all.map((f) => f["initial-cluster-token"]))).toEqual(new Set(["tok"]));
    expect(new Set(all.map((f) => f["initial-cluster"])).size).toBe(1);
    expect(new Set(all.map((f) => f.name)).size).toBe(3);
    expect(new Set(all.map((f) => f["data-dir"])).size).toBe(3);
  });

  it("listens on the listen host and advertises the dial address", () => {
    expect(all[1]["listen-client-urls"]).toBe("http://0.0.0.0:2379");
    expect(all[1]["advertise-client-urls"]).toBe("http://sy-etcd-1:2379");
    expect(all[1]["listen-peer-urls"]).toBe("http://0.0.0.0:2380");
  });

  it("switches every URL to https and requires client certificates with TLS", () => {
    const f = flagMap(memberFlags({ self: "etcd-0", members, clusterToken: "t", dataDir: "/d", listenHost: "0.0.0.0", tls: { certFile: "/c", keyFile: "/k", caFile: "/ca" } }));
    for (const k of ["listen-client-urls", "advertise-client-urls", "listen-peer-urls", "initial-advertise-peer-urls"]) expect(f[k]).toMatch(/^https:/);
    expect(f["initial-cluster"]).not.toContain("http:");
    expect(f).toHaveProperty("client-cert-auth");
    expect(f).toHaveProperty("peer-client-cert-auth");
  });

  it("refuses a member that is not in the cluster and duplicate names", () => {
    expect(() => memberFlags({ self: "etcd-9", members, clusterToken: "t", dataDir: "/d", listenHost: "0.0.0.0" })).toThrow(/'etcd-9' is not one of the members/);
    expect(() => memberFlags({ self: "etcd-0", members: [members[0], members[0]], clusterToken: "t", dataDir: "/d", listenHost: "0.0.0.0" })).toThrow(/unique/);
  });
});

describe("proxyFlags", () => {
  it("runs etcd gateway over every member's client address with a short retry delay", () => {
    expect(proxyFlags({ members, listenHost: "0.0.0.0", listenPort: 2379 })).toEqual([
      "gateway", "start", "--endpoints=sy-etcd-0:2379,sy-etcd-1:2379,sy-etcd-2:2379", "--listen-addr=0.0.0.0:2379", "--retry-delay=1000ms",
    ]);
  });
});

describe("clusterToken", () => {
  it("differs per stack and per project, and is stable", () => {
    expect(clusterToken("switchyard", "dev")).not.toBe(clusterToken("switchyard", "prod"));
    expect(clusterToken("a", "dev")).not.toBe(clusterToken("b", "dev"));
    expect(clusterToken("switchyard", "dev")).toBe(clusterToken("switchyard", "dev"));
  });
});
