import type { Etcd3 } from "etcd3";
import { afterEach, describe, expect, it, vi } from "vitest";
import { describeTarget, GateFailedError, overdueUnhealthy, waitForGate, type GateLog } from "./gate";
import { STATUS_PROTOCOL_VERSION, statusEntries, type GatewayStatus } from "./status";

/**
 * A stand-in for the etcd3 client with just what the gate uses: getAll().prefix().strings() and
 * get().string() answer from a map the test changes; watch() delivers "data" when the test calls `changed()`.
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
    get: (k: string) => ({
      string: async () => {
        if (fail) throw fail;
        return entries[k] ?? null;
      },
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

/** One gateway's keys under /sy, laid out as a real gateway writes them (summary + one report per endpoint). */
const status = (id: string, appliedRevision: number, endpoints: GatewayStatus["endpoints"]): Record<string, string> =>
  Object.fromEntries(statusEntries("/sy", { protocol: STATUS_PROTOCOL_VERSION, id, kind: "nginx", appliedRevision, appliedAt: "t", endpoints, lastError: null }));

function recordingLog() {
  const lines: { level: string; msg: string }[] = [];
  const log: GateLog = { info: (_o, msg) => lines.push({ level: "info", msg }), warn: (_o, msg) => lines.push({ level: "warn", msg }) };
  return { log, lines };
}

const routed = { expect: "routed" as const, revision: 10, endpoint: "app/v2-0", addr: "10.0.0.7:80" };

describe("waitForGate", () => {
  // Time is the test's: fake timers (and Date) make "still waiting" and "gave up at 200 ms" exact, not races
  // against a loaded machine's scheduler.
  afterEach(() => {
    vi.useRealTimers();
  });

  it("zero live gateways: done at once, logged as a deliberate case", async () => {
    const f = fakeClient();
    const { log, lines } = recordingLog();
    const r = await waitForGate(f.client, "/sy", routed, { timeoutMs: 1000, log });
    expect(r).toMatchObject({ gateways: [], noGateways: true });
    expect(lines).toEqual([expect.objectContaining({ level: "warn", msg: expect.stringContaining("no live gateway under /sy/gateways/") })]);
  });

  it("waits until every gateway has applied the revision and routes the endpoint healthy (woken by the watch)", async () => {
    vi.useFakeTimers();
    const f = fakeClient({ ...status("a", 9, {}), ...status("b", 9, {}) });
    const { log } = recordingLog();
    // A poll every 10 s and a 5 s deadline: only the watch can end the wait without the clock moving on.
    const waiting = waitForGate(f.client, "/sy", routed, { timeoutMs: 5000, pollMs: 10_000, log });
    let settled = false;
    void waiting.then(() => (settled = true), () => (settled = true));
    await vi.advanceTimersByTimeAsync(0);
    const listsBefore = f.lists();
    expect(listsBefore).toBe(1);
    f.set({ ...status("a", 10, { "app/v2-0": { addr: "10.0.0.7:80", health: "healthy" } }), ...status("b", 9, {}) });
    await vi.advanceTimersByTimeAsync(0);
    expect(f.lists()).toBe(listsBefore + 1); // the watch event made it re-list at once
    expect(settled).toBe(false); // gateway b has not applied revision 10 yet
    await vi.advanceTimersByTimeAsync(4000);
    expect(settled).toBe(false); // nor has anything changed in 4 s: still waiting, no poll yet
    f.set({
      ...status("a", 10, { "app/v2-0": { addr: "10.0.0.7:80", health: "healthy" } }),
      ...status("b", 11, { "app/v2-0": { addr: "10.0.0.7:80", health: "healthy" } }),
    });
    await vi.advanceTimersByTimeAsync(0);
    expect(settled).toBe(true);
    const r = await waiting;
    expect(r.gateways.sort()).toEqual(["a", "b"]);
    expect(r.noGateways).toBe(false);
    expect(r.waitedMs).toBe(4000);
    expect(f.cancelled()).toBe(1);
  });

  it("times out with every gateway's reason, at the timeout and not before", async () => {
    vi.useFakeTimers();
    const f = fakeClient({ ...status("a", 9, {}) });
    let outcome: unknown;
    const waiting = waitForGate(f.client, "/sy", routed, { timeoutMs: 200, pollMs: 50, log: recordingLog().log }).then(() => "passed", (e) => e);
    void waiting.then((x) => (outcome = x));
    await vi.advanceTimersByTimeAsync(199);
    expect(outcome).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    const err = (await waiting) as GateFailedError;
    expect(err).toBeInstanceOf(GateFailedError);
    expect(err.reason).toBe("timeout");
    expect(err.message).toMatch(/timed out after 200 ms .*gateway a has applied revision 9, waiting for 10/);
    expect(f.lists()).toBe(5); // polling is the backstop when no watch event comes: at 0, 50, 100, 150, 200 ms
  });

  it("fails before the timeout once the endpoint has been unhealthy for the grace period", async () => {
    vi.useFakeTimers();
    const f = fakeClient({ ...status("a", 12, { "app/v2-0": { addr: "10.0.0.7:80", health: "unhealthy", reason: "GET / -> 502" } }) });
    let outcome: unknown;
    const waiting = waitForGate(f.client, "/sy", routed, { timeoutMs: 10_000, unhealthyGraceMs: 150, pollMs: 30, log: recordingLog().log }).then(() => "passed", (e) => e);
    void waiting.then((x) => (outcome = x));
    await vi.advanceTimersByTimeAsync(149);
    expect(outcome).toBeUndefined(); // within the grace period it keeps waiting
    await vi.advanceTimersByTimeAsync(31); // the first poll at or past 150 ms
    const err = (await waiting) as GateFailedError;
    expect(err.reason).toBe("unhealthy");
    expect(err.message).toContain("gateway a reports app/v2-0 unhealthy: GET / -> 502");
    expect(err.waitedMs).toBe(150);
  });

  it("keeps waiting through etcd errors and reports them on timeout", async () => {
    vi.useFakeTimers();
    const f = fakeClient();
    f.failWith(new Error("14 UNAVAILABLE: connect ECONNREFUSED"));
    const waiting = waitForGate(f.client, "/sy", routed, { timeoutMs: 150, pollMs: 30, log: recordingLog().log }).catch((e) => e);
    await vi.advanceTimersByTimeAsync(150);
    const err = await waiting;
    expect(err.reason).toBe("timeout");
    expect(err.message).toMatch(/could not list \/sy\/gateways\/: 14 UNAVAILABLE/);
    expect(f.lists()).toBe(6); // it kept listing: at 0, 30, 60, 90, 120, 150 ms
  });

  it("unrouted: done when no gateway lists the endpoint any more; unparsable status keys are skipped", async () => {
    const f = fakeClient({ ...status("a", 20, {}), "/sy/gateways/junk": "{not json" });
    const { log, lines } = recordingLog();
    const r = await waitForGate(f.client, "/sy", { expect: "unrouted", revision: 20, endpoint: "app/v1-0" }, { timeoutMs: 1000, log });
    expect(r.gateways).toEqual(["a"]);
    expect(r.skipped[0]).toMatch(/^\/sy\/gateways\/junk: status is not JSON/);
    expect(lines.some((l) => l.level === "warn" && /unparsable/.test(l.msg))).toBe(true);
  });
});

describe("waitForGate, applied (a route change names no endpoint)", () => {
  it("done once every live gateway has applied the revision, whatever endpoints it routes; names the change while waiting", async () => {
    const f = fakeClient({ ...status("a", 30, {}), ...status("b", 29, { "app/x": { addr: "h:1", health: "unhealthy" } }) });
    const target = { expect: "applied" as const, revision: 30, what: "route of app" };
    const { log } = recordingLog();
    const late = await waitForGate(f.client, "/sy", target, { timeoutMs: 300, pollMs: 50, log }).then(() => undefined, (e: Error) => e);
    expect(late).toBeInstanceOf(GateFailedError);
    expect(late?.message).toMatch(/revision 30 \(route of app\).*gateway b has applied revision 29, waiting for 30/);
    f.set({ ...status("a", 30, {}), ...status("b", 31, { "app/x": { addr: "h:1", health: "unhealthy" } }) });
    const r = await waitForGate(f.client, "/sy", target, { timeoutMs: 1000, pollMs: 50, log });
    expect(r.gateways.sort()).toEqual(["a", "b"]);
  });
});

describe("gate helpers", () => {
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
    expect(describeTarget({ expect: "applied", revision: 4, what: "route of app" })).toBe("gateways to apply revision 4 (route of app)");
  });
});
