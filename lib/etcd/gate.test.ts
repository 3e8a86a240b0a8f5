import type { Etcd3 } from "etcd3";
import { describe, expect, it } from "vitest";
import { describeTarget, GateFailedError, overdueUnhealthy, parseStatuses, waitForGate, type GateLog } from "./gate";
import type { GatewayStatus } from "./status";

/**
 * A stand-in for the etcd3 client with just what the gate uses: getAll().prefix().strings() answers from a
 * map the test changes; watch() delivers "data" when the test calls `changed()`.
 */
function fakeClient(initial: Record<string, string> = {}) {
  let entries = { ...initial };
  let fail: Error | undefined;
  const listeners: (() => void)[] = [];
  let lists = 0;
  let cancelled = 0;
  const client = {
    getAll: () => ({
      prefix: (p: string) => ({
        strings: async () => {
          lists++;
          if (fail) throw fail;
          return Object.fromEntries(Object.entries(entries).filter(([k]) => k.startsWith(p)));
        },
      }),
    }),
    watch: () => ({
      prefix: () => ({
        create: async () => ({
          on(event: string, fn: () => void) {
            if (event === "data") listeners.push(fn);
          },
          cancel: async () => {
            cancelled++;
          },
        }),
      }),
    }),
  } as unknown as Etcd3;
  return {
    client,
    set(next: Record<string, string>) {
      entries = { ...next };
      for (const l of listeners) l();
    },
    failWith(e: Error | undefined) {
      fail = e;
    },
    lists: () => lists,
    cancelled: () => cancelled,
  };
}

const status = (id: string, appliedRevision: number, endpoints: GatewayStatus["endpoints"]): string =>
  JSON.stringify({ protocol: 1, id, kind: "nginx", appliedRevision, appliedAt: "t", endpoints, lastError: null });

function recordingLog() {
  const lines: { level: string; msg: string }[] = [];
  const log: GateLog = { info: (_o, msg) => lines.push({ level: "info", msg }), warn: (_o, msg) => lines.push({ level: "warn", msg }) };
  return { log, lines };
}

const routed = { expect: "routed" as const, revision: 10, endpoint: "app/v2-0", addr: "10.0.0.7:80" };

describe("waitForGate", () => {
  it("zero live gateways: done at once, logged as a deliberate case", async () => {
    const f = fakeClient();
    const { log, lines } = recordingLog();
    const r = await waitForGate(f.client, "/sy", routed, { timeoutMs: 1000, log });
    expect(r).toMatchObject({ gateways: [], noGateways: true });
    expect(lines).toEqual([expect.objectContaining({ level: "warn", msg: expect.stringContaining("no live gateway under /sy/gateways/") })]);
  });

  it("waits until every gateway has applied the revision and routes the endpoint healthy (woken by the watch)", async () => {
    const f = fakeClient({ "/sy/gateways/a": status("a", 9, {}), "/sy/gateways/b": status("b", 9, {}) });
    const { log } = recordingLog();
    const waiting = waitForGate(f.client, "/sy", routed, { timeoutMs: 5000, pollMs: 10_000, log });
    await new Promise((r) => setTimeout(r, 50));
    f.set({ "/sy/gateways/a": status("a", 10, { "app/v2-0": { addr: "10.0.0.7:80", health: "healthy" } }), "/sy/gateways/b": status("b", 9, {}) });
    await new Promise((r) => setTimeout(r, 50));
    let settled = false;
    void waiting.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    f.set({
      "/sy/gateways/a": status("a", 10, { "app/v2-0": { addr: "10.0.0.7:80", health: "healthy" } }),
      "/sy/gateways/b": status("b", 11, { "app/v2-0": { addr: "10.0.0.7:80", health: "healthy" } }),
    });
    const r = await waiting;
    expect(r.gateways.sort()).toEqual(["a", "b"]);
    expect(r.noGateways).toBe(false);
    expect(f.cancelled()).toBe(1);
  });

  it("times out with every gateway's reason", async () => {
    const f = fakeClient({ "/sy/gateways/a": status("a", 9, {}) });
    const err = await waitForGate(f.client, "/sy", routed, { timeoutMs: 200, pollMs: 50, log: recordingLog().log }).catch((e) => e);
    expect(err).toBeInstanceOf(GateFailedError);
    expect(err.reason).toBe("timeout");
    expect(err.message).toMatch(/timed out after 200 ms .*gateway a has applied revision 9, waiting for 10/);
    expect(f.lists()).toBeGreaterThan(1); // polling is the backstop when no watch event comes
  });

  it("fails before the timeout once the endpoint has been unhealthy for the grace period", async () => {
    const f = fakeClient({ "/sy/gateways/a": status("a", 12, { "app/v2-0": { addr: "10.0.0.7:80", health: "unhealthy", reason: "GET / -> 502" } }) });
    const started = Date.now();
    const err = await waitForGate(f.client, "/sy", routed, { timeoutMs: 10_000, unhealthyGraceMs: 150, pollMs: 30, log: recordingLog().log }).catch((e) => e);
    expect(err.reason).toBe("unhealthy");
    expect(err.message).toContain("gateway a reports app/v2-0 unhealthy: GET / -> 502");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("keeps waiting through etcd errors and reports them on timeout", async () => {
    const f = fakeClient();
    f.failWith(new Error("14 UNAVAILABLE: connect ECONNREFUSED"));
    const err = await waitForGate(f.client, "/sy", routed, { timeoutMs: 150, pollMs: 30, log: recordingLog().log }).catch((e) => e);
    expect(err.message).toMatch(/could not list \/sy\/gateways\/: 14 UNAVAILABLE/);
  });

  it("unrouted: done when no gateway lists the endpoint any more; unparsable status keys are skipped", async () => {
    const f = fakeClient({ "/sy/gateways/a": status("a", 20, {}), "/sy/gateways/junk": "{not json" });
    const { log, lines } = recordingLog();
    const r = await waitForGate(f.client, "/sy", { expect: "unrouted", revision: 20, endpoint: "app/v1-0" }, { timeoutMs: 1000, log });
    expect(r.gateways).toEqual(["a"]);
    expect(r.skipped[0]).toMatch(/^\/sy\/gateways\/junk: status is not JSON/);
    expect(lines.some((l) => l.level === "warn" && /unparsable/.test(l.msg))).toBe(true);
  });
});

describe("gate helpers", () => {
  it("parseStatuses separates good and bad keys", () => {
    const r = parseStatuses({ "/g/a": status("a", 1, {}), "/g/b": JSON.stringify({ protocol: 2 }) });
    expect(r.statuses.map((s) => s.id)).toEqual(["a"]);
    expect(r.skipped[0]).toMatch(/protocol 2/);
  });
  it("overdueUnhealthy counts from the first unhealthy report and forgets recovered gateways", () => {
    const since = new Map<string, number>();
    const w = [{ gateway: "a", reason: "x", unhealthy: true }];
    expect(overdueUnhealthy(w, since, 1000, 500)).toEqual([]);
    expect(overdueUnhealthy(w, since, 1400, 500)).toEqual([]);
    expect(overdueUnhealthy(w, since, 1500, 500)).toEqual(w);
    expect(overdueUnhealthy([], since, 1600, 500)).toEqual([]);
    expect(since.size).toBe(0);
  });
  it("describeTarget names revision, endpoint and address", () => {
    expect(describeTarget(routed)).toBe("gateways to apply revision 10 and route app/v2-0 (10.0.0.7:80) healthy");
    expect(describeTarget({ expect: "unrouted", revision: 3, endpoint: "app/x" })).toBe("gateways to apply revision 3 and stop routing app/x");
  });
});
