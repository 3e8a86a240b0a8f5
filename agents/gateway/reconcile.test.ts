import { describe, expect, it } from "vitest";
import { buildDesiredState } from "./desired";
import { adoptProxy, decide } from "./reconcile";
import { buildProxyView, membershipKey, structureKey } from "./view";

const desired = (eps: Record<string, string>, rev = 10) =>
  buildDesiredState("/sy", Object.entries(eps).map(([n, a]) => ({ key: `/sy/services/app/upstream/${n}`, value: a })), rev);
const healthy = () => ({ health: "healthy" as const });

describe("decide", () => {
  it("structure when nothing is applied or the proxy is down, membership when only endpoints changed, none otherwise", () => {
    const d1 = desired({ a: "10.0.0.1:80" });
    const first = decide({ desired: d1, healthOf: healthy, draining: [], now: 0, drainMs: 100, proxyRunning: true });
    expect(first.change).toBe("structure");
    const applied = { view: first.view, structure: first.structure, membership: first.membership };
    expect(decide({ desired: d1, healthOf: healthy, applied, draining: [], now: 0, drainMs: 100, proxyRunning: true }).change).toBe("none");
    expect(decide({ desired: d1, healthOf: healthy, applied, draining: [], now: 0, drainMs: 100, proxyRunning: false }).change).toBe("structure");
    const d2 = desired({ a: "10.0.0.1:80", b: "10.0.0.2:80" });
    expect(decide({ desired: d2, healthOf: healthy, applied, draining: [], now: 0, drainMs: 100, proxyRunning: true }).change).toBe("membership");
    expect(decide({ desired: d2, healthOf: healthy, applied, draining: [], now: 0, drainMs: 100, proxyRunning: true, reloadPerChange: true }).change).toBe("structure");
  });

  it("starts a drain for a removed endpoint and ends it at now >= until", () => {
    const before = decide({ desired: desired({ a: "10.0.0.1:80", b: "10.0.0.2:80" }), healthOf: healthy, draining: [], now: 0, drainMs: 100, proxyRunning: true });
    const applied = { view: before.view, structure: before.structure, membership: before.membership };
    const d = desired({ a: "10.0.0.1:80" });
    const during = decide({ desired: d, healthOf: healthy, applied, draining: [], now: 1000, drainMs: 100, proxyRunning: true });
    expect(during.nextDrainEnd).toBe(1100);
    expect(during.view.services[0].endpoints.map((e) => [e.name, e.enabled])).toEqual([["a", true], ["b", false]]);
    const after = decide({ desired: d, healthOf: healthy, applied: { view: during.view, structure: during.structure, membership: during.membership }, draining: during.draining, now: 1100, drainMs: 100, proxyRunning: true });
    expect(after.view.services[0].endpoints.map((e) => e.name)).toEqual(["a"]);
    expect(after.nextDrainEnd).toBeUndefined();
  });
});

describe("adoptProxy", () => {
  it("adopts enabled servers at the desired address as healthy; others are not vouched for", () => {
    const d = desired({ a: "10.0.0.1:80", b: "10.0.0.2:80", moved: "10.0.0.7:80" });
    const { applied, adoptHealthy } = adoptProxy({
      structure: "S",
      servers: [
        { backend: "sy_app", server: "a", host: "10.0.0.1", port: 80, enabled: true },
        { backend: "sy_app", server: "b", host: "10.0.0.2", port: 80, enabled: false },
        { backend: "sy_app", server: "moved", host: "10.0.0.6", port: 80, enabled: true },
        { backend: "sy_app", server: "gone", host: "10.0.0.9", port: 80, enabled: true },
        { backend: "sy_other", server: "x", host: "10.0.0.8", port: 80, enabled: true },
      ],
    }, d);
    expect(adoptHealthy).toEqual([{ id: "app/a", addr: "10.0.0.1:80" }]);
    expect(applied.structure).toBe("S");
    expect(applied.membership).toBe("");
    expect(applied.view.services[0].endpoints.map((e) => e.name)).toEqual(["a", "b", "moved", "gone"]);
  });

  it("the adopted structure matches what the same desired state renders, so the first apply needs no reload", () => {
    const d = desired({ a: "10.0.0.1:80" });
    const rendered = buildProxyView(d, healthy, []);
    const { applied } = adoptProxy({ structure: structureKey(rendered), servers: [{ backend: "sy_app", server: "a", host: "10.0.0.1", port: 80, enabled: true }] }, d);
    const next = decide({ desired: d, healthOf: healthy, applied, draining: [], now: 0, drainMs: 100, proxyRunning: true });
    expect(next.change).toBe("membership");
    expect(next.membership).toBe(membershipKey(rendered));
  });
});
