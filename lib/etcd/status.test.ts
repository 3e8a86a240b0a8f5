import { describe, expect, it } from "vitest";
import { assembleStatuses, STATUS_PROTOCOL_VERSION, statusChanges, statusEntries, type GatewayStatus } from "./status";

const ETCD_REQUEST_LIMIT = 1.5 * 1024 * 1024; // etcd's default --max-request-bytes

function gateway(endpoints: number, perService: number, health: (i: number) => "healthy" | "pending" = () => "healthy"): GatewayStatus {
  const eps: GatewayStatus["endpoints"] = {};
  for (let i = 0; i < endpoints; i++) {
    const svc = `service-${String(Math.floor(i / perService)).padStart(5, "0")}`;
    eps[`${svc}/${svc}-v12-3f9a2c-backend-${i % 4}-${i}`] = { addr: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:49153`, health: health(i), since: "2026-12-02T10:00:00.000Z" };
  }
  return { protocol: STATUS_PROTOCOL_VERSION, id: "gateway-7f3a", kind: "nginx", appliedRevision: 123456789, appliedAt: "2026-12-02T10:00:00.000Z", endpoints: eps, lastError: null };
}

describe("status protocol 2", () => {
  it("lays a status out as one summary (last) plus one report per endpoint, and reads it back the same", () => {
    const s = gateway(3, 2);
    const entries = statusEntries("/sy", s);
    expect([...entries.keys()].at(-1)).toBe("/sy/gateways/gateway-7f3a");
    expect([...entries.keys()].slice(0, 1)).toEqual(["/sy/gateway-endpoints/gateway-7f3a/service-00000/service-00000-v12-3f9a2c-backend-0-0"]);
    const back = assembleStatuses("/sy", Object.fromEntries(entries));
    expect(back.skipped).toEqual([]);
    expect(back.statuses).toEqual([s]);
  });

  it("ignores reports of a gateway without a summary and skips what it cannot parse", () => {
    const r = assembleStatuses("/sy", {
      "/sy/gateway-endpoints/gone/app/e1": JSON.stringify({ addr: "10.0.0.1:80", health: "healthy" }),
      "/sy/gateways/a": JSON.stringify({ protocol: 1, id: "a", appliedRevision: 1, endpoints: {} }),
      "/sy/gateways/b": JSON.stringify({ protocol: 2, id: "b", kind: "haproxy", appliedRevision: 4, appliedAt: "t", lastError: null, endpointCount: 1 }),
      "/sy/gateway-endpoints/b/app/e1": JSON.stringify({ addr: "10.0.0.1:80", health: "sick" }),
    });
    expect(r.statuses.map((s) => [s.id, Object.keys(s.endpoints)])).toEqual([["b", []]]);
    expect(r.skipped).toEqual([
      "/sy/gateways/a: status protocol 1 is not 2",
      "/sy/gateway-endpoints/b/app/e1: endpoint report lacks addr or a known health",
    ]);
  });

  it("writes only what changed: one endpoint's health is that report plus nothing else, its removal one delete", () => {
    const before = gateway(1000, 10);
    const written = statusEntries("/sy", before);
    expect(statusChanges(written, written)).toEqual({ puts: [], deletes: [], bytes: 0 });
    const id = Object.keys(before.endpoints)[500];
    const sicker = { ...before, endpoints: { ...before.endpoints, [id]: { ...before.endpoints[id], health: "unhealthy" as const, reason: "GET /healthz -> 500" } } };
    const c = statusChanges(written, statusEntries("/sy", sicker));
    expect(c.puts.map(([k]) => k)).toEqual([`/sy/gateway-endpoints/gateway-7f3a/${id}`]);
    expect(c.deletes).toEqual([]);
    const { [id]: _gone, ...rest } = before.endpoints;
    const removed = statusChanges(written, statusEntries("/sy", { ...before, appliedRevision: before.appliedRevision + 1, endpoints: rest }));
    expect(removed.deletes).toEqual([`/sy/gateway-endpoints/gateway-7f3a/${id}`]);
    expect(removed.puts.map(([k]) => k)).toEqual(["/sy/gateways/gateway-7f3a"]); // the summary, last
  });

  it("at 100,000 endpoints no key is anywhere near etcd's limits and a single change writes well under 10 KB", () => {
    const big = gateway(100_000, 10);
    const entries = statusEntries("/sy", big);
    const largest = Math.max(...[...entries].map(([k, v]) => k.length + v.length));
    expect(largest).toBeLessThan(1024); // protocol 1 put all of it in one key: about 9.5 MB here
    expect(largest * 100).toBeLessThan(ETCD_REQUEST_LIMIT); // a whole write chunk (status-io.ts) too
    // A single change: one new endpoint routed (pending) at a new revision.
    const added = { ...big, appliedRevision: big.appliedRevision + 1, endpoints: { ...big.endpoints, "service-00001/new-endpoint": { addr: "10.9.9.9:49153", health: "pending" as const } } };
    const c = statusChanges(entries, statusEntries("/sy", added));
    expect(c.puts).toHaveLength(2);
    expect(c.bytes).toBeLessThan(10 * 1024);
    expect(c.bytes).toBeLessThan(600);
  });
});
