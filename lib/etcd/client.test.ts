import { describe, expect, it } from "vitest";
import { summarizeProbes, type MemberProbe } from "./client";

const m = (name: string, reachable: boolean, leader = "7"): MemberProbe =>
  reachable ? { name, url: `http://${name}:2379`, reachable, leader } : { name, url: `http://${name}:2379`, reachable, down: true, error: "connect ECONNREFUSED" };
const unresolvable = (name: string): MemberProbe => ({ name, url: `http://${name}:2379`, reachable: false, error: "getaddrinfo ENOTFOUND" });

describe("summarizeProbes (the operator's one-line diagnosis)", () => {
  it("quorum lost: fewer than a majority reachable", () => {
    const s = summarizeProbes([m("etcd-0", true), m("etcd-1", false), m("etcd-2", false)], "http://proxy:23790");
    expect(s.quorum).toBe(false);
    expect(s.summary).toMatch(/^etcd quorum lost: 1 of 3 members reachable, 2 needed/);
    expect(s.summary).toContain("etcd-1 http://etcd-1:2379: down (connect ECONNREFUSED)");
  });
  it("quorum lost is judged from members known down, even when the survivor's own probe was too slow", () => {
    const survivor: MemberProbe = { name: "etcd-0", url: "http://etcd-0:2379", reachable: true, error: "answered the member list; own probe: deadline" };
    const s = summarizeProbes([survivor, m("etcd-1", false), m("etcd-2", false)], "p");
    expect(s.quorum).toBe(false);
    expect(s.summary).toMatch(/^etcd quorum lost: 1 of 3 members reachable/);
  });
  it("majority up with a leader: quorum; no leader yet: unknown (an election settles it)", () => {
    expect(summarizeProbes([m("a", true), m("b", true), m("c", false)], "p").quorum).toBe(true);
    const noLeader = summarizeProbes([m("a", true, "0"), m("b", true, "0"), m("c", false)], "p");
    expect(noLeader.quorum).toBeUndefined();
    expect(noLeader.summary).toMatch(/no leader/);
  });
  it("members whose advertised URLs do not resolve from here are not called down (docker target)", () => {
    const responder: MemberProbe = { name: "a", url: "http://a:2379", reachable: true, error: "answered the member list; own probe: ENOTFOUND" };
    const s = summarizeProbes([responder, unresolvable("b"), unresolvable("c")], "http://127.0.0.1:23790");
    expect(s.quorum).toBeUndefined();
    expect(s.summary).toMatch(/^etcd members partly unreachable from here: 1 of 3 answered/);
  });
});

describe("clientIdentity (who a permission error is about)", () => {
  it("names the user, else the certificate's CN, else 'this client'", async () => {
    const { clientIdentity } = await import("./client");
    expect(clientIdentity({ auth: { username: "alice", password: "x" } })).toBe("user alice");
    expect(clientIdentity({ tls: { ca: "ca", cert: "not a certificate", key: "k" } })).toBe("this client");
    expect(clientIdentity({})).toBe("this client");
  });
});
