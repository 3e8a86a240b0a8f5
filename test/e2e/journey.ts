/**
 * The journey every gateway kind must pass: up from nothing, a blue-green switch under keep-alive load with
 * zero failed requests, a bad release that is refused while the good version keeps serving, and a destroy
 * that leaves nothing. test/e2e/<kind>.test.ts run it; nginx's file adds the source documents' workflows.
 *
 * The tests run in the order written and build on each other (one stack, up once): each starts from the state
 * the previous one left (v1 up → switched to v2 → the hooks' tests → the refused v9 → destroyed). Run the
 * whole file; a filtered run (-t) of a later test alone is not meaningful.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLoad } from "../../bench/load";
import { withoutGeneration } from "../helpers/names";
import { classifyEtcdError } from "../../lib/etcd/client";
import { waitFor } from "../helpers/ports";
import { coverageProblems, moreRequests } from "../helpers/traffic";
import { docker, e2eStack, gatewayDiagnostics, get, STEP_ORDER_OF, stepTime, type E2EStack } from "./fixture";
import { checkHardening } from "./hardening";
import { readGatewayStatuses } from "../../lib/etcd/status-io";

export interface JourneyHooks {
  /** Extra tests run after the switch to v2, before the bad release (the stack is up at `liveVersion()`). */
  afterSwitch?(s: E2EStack, liveVersion: { current: string }): void;
}

/** Where the failures fall relative to the update's steps: for a failing assertion's message. */
function failureWindow(records: { t: number; ok: boolean; error?: string; status?: number }[], startedAt: number, steps: { op: string; name: string; started: number; finished: number }[]): string {
  const failed = records.filter((r) => !r.ok);
  const rel = (epoch: number) => ((epoch - startedAt) / 1000).toFixed(2);
  const stepLines = steps.filter((x) => x.op !== "same").map((x) => `  ${rel(x.started)}-${rel(x.finished)} s ${x.op} ${x.name}`);
  return `failures from ${(failed[0].t / 1000).toFixed(2)} s to ${(failed[failed.length - 1].t / 1000).toFixed(2)} s (first: ${failed[0].error ?? failed[0].status}); steps:\n${stepLines.join("\n")}`;
}

const upstreamKeys = async (s: E2EStack) => {
  const c = s.etcd();
  try {
    return Object.keys(await c.getAll().prefix("/switchyard/services/app/upstream/").strings()).sort();
  } finally {
    c.close();
  }
};

/** Waits until every response of a short burst comes from `version`. */
const servesOnly = (s: E2EStack, version: string) =>
  waitFor(`the gateway to serve only ${version}`, async () => {
    const bodies = await Promise.all(Array.from({ length: 8 }, () => get(s.gatewayUrl).catch((e: Error) => ({ status: 0, body: e.message }))));
    return bodies.every((b) => b.status === 200 && b.body.startsWith(`${version} `)) ? bodies : undefined;
  }, 30_000, 200);

export function journey(kind: "nginx" | "haproxy", basePort: number, hooks: JourneyHooks = {}, opts: { tls?: boolean } = {}): void {
  const s = e2eStack(kind, basePort, opts);
  const live = { current: "v1" };

  beforeAll(async () => {
    await s.cleanup();
  });
  afterAll(async () => {
    await s.destroy().catch(() => undefined);
    await s.cleanup();
  });

  it("up: from nothing the stack comes up and the gateway answers v1", async () => {
    const { outputs } = await s.up({ "backend.version": "v1" });
    expect(outputs).toMatchObject({ gatewayUrl: s.gatewayUrl.replace("127.0.0.1", "localhost"), liveVersion: "v1", etcdEndpoint: s.etcdEndpoint, etcdMembers: ["etcd-0", "etcd-1", "etcd-2"] });
    expect((outputs.upstreams as { key: string }[]).map((u) => u.key).sort()).toEqual(await upstreamKeys(s));
    await servesOnly(s, "v1");
    // Both replicas take traffic (over a few bursts: a proxy's round robin is per worker).
    const replicas = new Set<string>();
    await waitFor("both replicas to answer", async () => {
      for (let i = 0; i < 8; i++) replicas.add((await get(s.gatewayUrl)).body.split(" ")[1]);
      return replicas.size === 2;
    }, 20_000, 100);
    expect([...replicas].map(withoutGeneration).sort()).toEqual([`${s.prefix}-app-v1-local-0`, `${s.prefix}-app-v1-local-1`]);
    // Members, proxy, gateway and registrator all report healthy to Docker.
    await waitFor("every container healthy", async () => {
      const cs = await s.containers();
      return cs.length === 8 && cs.every((c) => /\(healthy\)/.test(c.Status));
    }, 60_000, 500);
    // The gateway publishes its status: both endpoints routed and healthy.
    const etcd = s.etcd();
    try {
      const { statuses: status } = await readGatewayStatuses(etcd, "/switchyard");
      expect(status).toHaveLength(1);
      expect(status[0].kind).toBe(kind);
      expect(Object.values(status[0].endpoints).map((e) => e.health)).toEqual(["healthy", "healthy"]);
    } finally {
      etcd.close();
    }
  });

  it("least privilege (#20): proxy workers are not root, stats and metrics refused from a non-operator address, every key file 0600", async () => {
    await checkHardening(s);
  });

  it(`switch under keep-alive load: 0 failed requests, then only v2; v1 keys and containers gone, in the gated order (${STEP_ORDER_OF})`, async () => {
    const load = startLoad({ url: s.gatewayUrl, connections: 16 });
    await moreRequests(load.records, 200);
    const upStarted = Date.now();
    const { steps: realSteps } = await s.up({ "backend.version": "v2" });
    const steps = realSteps.map((x) => ({ ...x, name: withoutGeneration(x.name) }));
    const upEnded = Date.now();
    await moreRequests(load.records, 200);
    const result = await load.stop();
    live.current = "v2";
    expect(result.failures, result.failed ? `${failureWindow(result.records, load.startedAt, steps)}\n${await gatewayDiagnostics(s)}` : "").toEqual({});
    expect(result.failed).toBe(0);
    expect(result.total).toBeGreaterThan(500);
    expect(coverageProblems(result.records, load.startedAt, { from: upStarted, to: upEnded }, 500)).toEqual([]);
    const last = result.records.slice(-200);
    expect(last.every((r) => r.body?.startsWith("v2 "))).toBe(true);
    expect(result.records.some((r) => r.body?.startsWith("v1 "))).toBe(true);
    expect((await upstreamKeys(s)).map(withoutGeneration)).toEqual([`/switchyard/services/app/upstream/${s.prefix}-app-v2-local-0`, `/switchyard/services/app/upstream/${s.prefix}-app-v2-local-1`]);
    expect((await s.containers()).map((c) => c.Names[0]).filter((n) => n.includes("-app-v1-"))).toEqual([]);
    // v2 up and acknowledged → v1 keys deleted and drained → v1 containers removed.
    const lastV2Ack = Math.max(...[0, 1].map((i) => stepTime(steps, "create", `app-v2-local-${i}-upstream`, "finished")));
    for (const i of [0, 1]) {
      expect(stepTime(steps, "delete", `app-v1-local-${i}-upstream`, "started")).toBeGreaterThanOrEqual(lastV2Ack);
      expect(stepTime(steps, "delete", `app-v1-local-${i}`, "started")).toBeGreaterThanOrEqual(stepTime(steps, "delete", `app-v1-local-${i}-upstream`, "finished"));
    }
    const containerDeletes = steps.filter((x) => x.op === "delete" && /app-v1-local-\d$/.test(x.name));
    expect(containerDeletes).toHaveLength(2);
  });

  hooks.afterSwitch?.(s, live);

  it("a bad release (health endpoint failing) is refused: clear error, the live version keeps every request, no key of it remains", async () => {
    const good = live.current;
    const load = startLoad({ url: s.gatewayUrl, connections: 8 });
    await moreRequests(load.records, 50);
    const upStarted = Date.now();
    const err = await s.up({ "backend.version": "v9", "backend.env": JSON.stringify(["FAIL_HEALTH=1"]) }).then(() => undefined, (e: Error) => e);
    const upEnded = Date.now();
    await moreRequests(load.records, 50);
    const result = await load.stop();
    expect(err?.message).toMatch(/app-v9-[0-9a-f]{6}-local-\d.*unhealthy/s);
    expect(result.failures).toEqual({});
    expect(result.failed).toBe(0);
    expect(coverageProblems(result.records, load.startedAt, { from: upStarted, to: upEnded }, 200)).toEqual([]);
    expect(result.records.every((r) => r.body?.startsWith(`${good} `))).toBe(true);
    const keys = await upstreamKeys(s);
    expect(keys.filter((k) => k.includes("-v9-"))).toEqual([]);
    expect(keys).toHaveLength(2);
    await servesOnly(s, good);
  });

  it("destroy leaves no container, network or volume of the stack; its etcd (with every key) and its gateway stop answering", async () => {
    // The client first: with etcd.tls its certificates come from the harness state, which destroy empties.
    const etcd = s.etcd();
    try {
      await s.destroy();
      expect(await s.containers()).toEqual([]);
      expect((await docker.listNetworks({ filters: { name: [s.prefix] } })).filter((n) => n.Name === s.prefix)).toEqual([]);
      expect((await docker.listVolumes({ filters: { label: [`switchyard.stack=${s.prefix}`] } })).Volumes ?? []).toEqual([]);
      // The keys lived in the stack's etcd, whose members and data volumes are gone (checked above): its client
      // port refuses connections, and so does the gateway's.
      const err = await etcd.getAll().prefix("/switchyard/").keys().then(() => undefined, (e: unknown) => e);
      expect(classifyEtcdError(err)).toBe("unreachable");
    } finally {
      etcd.close();
    }
    await expect(fetch(s.gatewayUrl, { signal: AbortSignal.timeout(2000) })).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
  });
}
