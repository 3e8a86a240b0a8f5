import { describe, expect, it } from "vitest";
import { summarizeProbes, type MemberProbe } from "./client";

const m = (name: string, reachable: boolean, leader = "7"): MemberProbe =>
  reachable ? { name, url: `http://${name}:2379`, reachable, leader } : { name, url: `http://${name}:2379`, reachable, error: "connect ECONNREFUSED" };

describe("summarizeProbes (the operator's one-line diagnosis)", () => {
  it("quorum lost: fewer than a majority reachable", () => {
    const s = summarizeProbes([m("etcd-0", true), m("etcd-1", false), m("etcd-2", false)], "http://proxy:23790");
    expect(s.quorum).toBe(false);
    expect(s.summary).toMatch(/^etcd quorum lost: 1 of 3 members reachable, 2 needed/);
    expect(s.summary).toContain("etcd-1 http://etcd-1:2379: down (connect ECONNREFUSED)");
  });
  it("majority up with a leader: quorum; no leader yet: unknown (an election settles it)", () => {
    expect(summarizeProbes([m("a", true), m("b", true), m("c", false)], "p").quorum).toBe(true);
    const noLeader = summarizeProbes([m("a", true, "0"), m("b", true, "0"), m("c", false)], "p");
    expect(noLeader.quorum).toBeUndefined();
    expect(noLeader.summary).toMatch(/no leader/);
  });
  it("none reachable although the member list answered: says the URLs are not dialable from here", () => {
    const s = summarizeProbes([m("a", false), m("b", false), m("c", false)], "http://127.0.0.1:23790");
    expect(s.quorum).toBeUndefined();
    expect(s.summary).toMatch(/at least 1 of 3 members is up, but none of their advertised client URLs answered/);
  });
});
