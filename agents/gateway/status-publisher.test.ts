import { describe, expect, it } from "vitest";
import { evaluateGate } from "../../lib/etcd/status";
import { buildDesiredState } from "./desired";
import { buildStatus } from "./status-publisher";
import { buildProxyView, newlyRemoved } from "./view";

const desired = (eps: Record<string, string>, rev = 10) =>
  buildDesiredState("/sy", Object.entries(eps).map(([n, a]) => ({ key: `/sy/services/app/upstream/${n}`, value: a })), rev);

describe("buildStatus against the provider's gate", () => {
  it("satisfies a 'routed' gate once the endpoint is healthy, not while pending", () => {
    const d = desired({ a: "127.0.0.1:1" }, 10);
    const mk = (health: "pending" | "healthy") =>
      buildStatus({ id: "g", kind: "nginx", appliedRevision: 10, appliedAt: new Date(), view: buildProxyView(d, () => ({ health }), []), since: () => undefined, lastError: null });
    const target = { expect: "routed" as const, revision: 10, endpoint: "app/a", addr: "127.0.0.1:1" };
    expect(evaluateGate([mk("pending")], target).done).toBe(false);
    expect(evaluateGate([mk("healthy")], target).done).toBe(true);
  });

  it("satisfies an 'unrouted' gate only after the drain", () => {
    const h = () => ({ health: "healthy" as const });
    const before = buildProxyView(desired({ a: "127.0.0.1:1", b: "127.0.0.1:2" }), h, []);
    const after = desired({ a: "127.0.0.1:1" }, 11);
    const draining = newlyRemoved(before, after, 0, 1000);
    const target = { expect: "unrouted" as const, revision: 11, endpoint: "app/b" };
    const during = buildStatus({ id: "g", kind: "haproxy", appliedRevision: 11, appliedAt: new Date(), view: buildProxyView(after, h, draining), since: () => undefined, lastError: null });
    expect(during.endpoints["app/b"]).toMatchObject({ health: "unhealthy", reason: expect.stringMatching(/draining/) });
    expect(evaluateGate([during], target).done).toBe(false);
    const done = buildStatus({ id: "g", kind: "haproxy", appliedRevision: 11, appliedAt: new Date(), view: buildProxyView(after, h, []), since: () => undefined, lastError: null });
    expect(evaluateGate([done], target).done).toBe(true);
  });
});
