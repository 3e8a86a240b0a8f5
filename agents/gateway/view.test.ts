import { describe, expect, it } from "vitest";
import { buildDesiredState } from "./desired";
import { buildProxyView, membershipKey, newlyRemoved, structureKey } from "./view";

const state = (eps: Record<string, string>, route = { hosts: ["a.b.com"], default: true }) =>
  buildDesiredState("/sy", [
    ...Object.entries(eps).map(([n, a]) => ({ key: `/sy/services/app/upstream/${n}`, value: a })),
    { key: "/sy/services/app/route", value: JSON.stringify(route) },
  ], 7);

describe("proxy view", () => {
  it("enables only healthy endpoints, and lists pending/unhealthy ones too", () => {
    const health = { "app/a": "healthy", "app/b": "pending", "app/c": "unhealthy" } as const;
    const v = buildProxyView(state({ a: "127.0.0.1:1", b: "127.0.0.1:2", c: "127.0.0.1:3" }), (id) => ({ health: health[id as keyof typeof health] }), []);
    expect(v.services[0].endpoints.map((e) => [e.name, e.enabled, e.health])).toEqual([
      ["a", true, "healthy"],
      ["b", false, "pending"],
      ["c", false, "unhealthy"],
    ]);
    expect(v.services[0].backend).toBe("sy_app");
  });

  it("routes to unhealthy endpoints when none is healthy (panic mode), never to pending ones", () => {
    const v = buildProxyView(state({ a: "127.0.0.1:1", b: "127.0.0.1:2" }), (id) => ({ health: id === "app/a" ? "unhealthy" : "pending" }), []);
    expect(v.services[0].endpoints.map((e) => [e.name, e.enabled, e.health])).toEqual([
      ["a", true, "unhealthy"],
      ["b", false, "pending"],
    ]);
    expect(v.services[0].endpoints[0].reason).toMatch(/routed anyway/);
  });

  it("keeps a removed endpoint listed but disabled while it drains", () => {
    const healthy = () => ({ health: "healthy" as const });
    const before = buildProxyView(state({ a: "127.0.0.1:1", b: "127.0.0.1:2" }), healthy, []);
    const after = state({ a: "127.0.0.1:1" });
    const draining = newlyRemoved(before, after, 1000, 500);
    expect(draining.map((d) => [d.endpoint.id, d.until])).toEqual([["app/b", 1500]]);
    const v = buildProxyView(after, healthy, draining);
    expect(v.services[0].endpoints.map((e) => [e.name, e.enabled, e.draining])).toEqual([
      ["a", true, false],
      ["b", false, true],
    ]);
  });

  it("separates structure (needs reload) from membership (runtime)", () => {
    const h = () => ({ health: "healthy" as const });
    const v1 = buildProxyView(state({ a: "127.0.0.1:1" }), h, []);
    const v2 = buildProxyView(state({ a: "127.0.0.1:1", b: "127.0.0.1:2" }), h, []);
    const v3 = buildProxyView(state({ a: "127.0.0.1:1" }, { hosts: ["c.b.com"], default: true }), h, []);
    expect(structureKey(v1)).toBe(structureKey(v2));
    expect(membershipKey(v1)).not.toBe(membershipKey(v2));
    expect(structureKey(v1)).not.toBe(structureKey(v3));
  });
});
