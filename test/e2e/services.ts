/**
 * 004 from config alone, for each gateway kind: two services with hosts — `a.b.com` (two replicas, cookie
 * stickiness) and `b.b.com` (one replica, the default service) — routed by Host header, the SERVERID cookie
 * pinning a server, (haproxy) the stats page listing both; then `a` switched to v2 under keep-alive load on
 * both hosts: 0 failed requests for either service, and `b` never touched (no step, same containers, same
 * route key). test/e2e/services-<kind>.test.ts run it. The tests build on each other (one stack, up once).
 */
import http from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLoad } from "../../bench/load";
import { parseRouteValue } from "../../lib/etcd/keys";
import { withoutGeneration } from "../helpers/names";
import { waitFor } from "../helpers/ports";
import { coverageProblems, moreRequests } from "../helpers/traffic";
import { e2eStack, gatewayDiagnostics, nsPort } from "./fixture";

/** 004's two domains, as the README's walkthrough writes them. */
export const SERVICES_004 = [
  { name: "a", version: "v1", hosts: ["a.b.com"], replicas: 2, sticky: true },
  { name: "b", version: "v1", hosts: ["b.b.com"], replicas: 1, default: true },
];

/** An up on a shared 2-core machine: the first builds the images. */
const UP_MS = 900_000;

interface Answer { status: number; body: string; setCookie?: string }

/** One GET with a Host header (and a cookie): what `curl -H "Host: a.b.com"` does. */
function hostGet(url: string, host: string, cookie?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Host: host, ...(cookie ? { Cookie: cookie } : {}) }, timeout: 5000, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim(), setCookie: res.headers["set-cookie"]?.[0] }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}
const containerOf = (a: Answer) => a.body.split(" ")[1] ?? "";

export function servicesJourney(kind: "nginx" | "haproxy", basePort: number): void {
  const s = e2eStack(kind, basePort, { name: `e2e-services-${kind}` });
  const statsUrl = `http://127.0.0.1:${nsPort(basePort) + 2}/`;
  const config = (list: unknown[]) => ({ services: JSON.stringify(list) });

  beforeAll(async () => {
    await s.cleanup();
  });
  afterAll(async () => {
    await s.destroy().catch(() => undefined);
    await s.cleanup();
  });

  it("up: two services from config alone, routed by Host header; the unknown host goes to the default; outputs per service", async () => {
    const { outputs } = await s.up(config(SERVICES_004));
    const services = outputs.services as Record<string, { urls: string[]; liveVersion: string; upstreams: { key: string }[] }>;
    expect(Object.keys(services).sort()).toEqual(["a", "b"]);
    expect(services.a.liveVersion).toBe("v1");
    expect(services.a.urls).toEqual([`http://a.b.com:${nsPort(basePort) + 1}/`]);
    expect(services.a.upstreams).toHaveLength(2);
    expect(services.b.upstreams).toHaveLength(1);

    const etcd = s.etcd();
    try {
      const route = async (svc: string) => parseRouteValue((await etcd.get(`/switchyard/services/${svc}/route`).string())!);
      expect(await route("a")).toEqual({ hosts: ["a.b.com"], default: false, sticky: true });
      expect(await route("b")).toEqual({ hosts: ["b.b.com"], default: true, sticky: false });
    } finally {
      etcd.close();
    }

    const seen = { a: new Set<string>(), b: new Set<string>(), other: new Set<string>() };
    await waitFor("both replicas of a.b.com and the one of b.b.com to answer", async () => {
      for (let i = 0; i < 6; i++) {
        const a = await hostGet(s.gatewayUrl, "a.b.com");
        const b = await hostGet(s.gatewayUrl, "b.b.com");
        const other = await hostGet(s.gatewayUrl, "unknown.example");
        if (a.status === 200) seen.a.add(withoutGeneration(containerOf(a)));
        if (b.status === 200) seen.b.add(withoutGeneration(containerOf(b)));
        if (other.status === 200) seen.other.add(withoutGeneration(containerOf(other)));
      }
      return seen.a.size === 2 && seen.b.size === 1 && seen.other.size === 1;
    }, 60_000, 200);
    expect([...seen.a].sort()).toEqual([`${s.prefix}-a-v1-local-0`, `${s.prefix}-a-v1-local-1`]);
    expect([...seen.b]).toEqual([`${s.prefix}-b-v1-local-0`]);
    expect([...seen.other]).toEqual([`${s.prefix}-b-v1-local-0`]);
  }, UP_MS);

  it("the SERVERID cookie pins a client of a.b.com to one server; b.b.com sets none", async () => {
    const first = await hostGet(s.gatewayUrl, "a.b.com");
    expect(first.status).toBe(200);
    const cookie = /^(SERVERID=[^;]+)/.exec(first.setCookie ?? "")?.[1];
    expect(cookie, `Set-Cookie of a.b.com: ${first.setCookie}`).toBeDefined();
    const pinned = new Set<string>();
    for (let i = 0; i < 12; i++) pinned.add(containerOf(await hostGet(s.gatewayUrl, "a.b.com", cookie)));
    expect([...pinned]).toEqual([containerOf(first)]);
    expect((await hostGet(s.gatewayUrl, "b.b.com")).setCookie).toBeUndefined();
  });

  if (kind === "haproxy") {
    it("the haproxy stats page lists both services with their servers", async () => {
      const csv = await (await fetch(`${statsUrl};csv`, { signal: AbortSignal.timeout(5000) })).text();
      const rows = csv.split("\n").map((l) => l.split(","));
      const servers = (backend: string) => rows.filter((r) => r[0] === backend && r[1] !== "BACKEND" && r[1] !== "FRONTEND").map((r) => withoutGeneration(r[1])).sort();
      expect(servers("sy_a")).toEqual([`${s.prefix}-a-v1-local-0`, `${s.prefix}-a-v1-local-1`]);
      expect(servers("sy_b")).toEqual([`${s.prefix}-b-v1-local-0`]);
    });
  }

  it("switch a.b.com to v2 under keep-alive load on both hosts: 0 failed for either; b.b.com untouched", async () => {
    const bContainers = async () => (await s.containers()).filter((c) => c.Names[0].includes("-b-v")).map((c) => `${c.Id} ${c.Created} ${c.State}`).sort();
    const etcd = s.etcd();
    const bRouteRevision = async () => Number((await etcd.get("/switchyard/services/b/route").exec()).kvs[0].mod_revision);
    try {
      const bBefore = await bContainers();
      const bRouteBefore = await bRouteRevision();
      const loadA = startLoad({ url: s.gatewayUrl, connections: 16, headers: { Host: "a.b.com" } });
      const loadB = startLoad({ url: s.gatewayUrl, connections: 16, headers: { Host: "b.b.com" } });
      await Promise.all([moreRequests(loadA.records, 200), moreRequests(loadB.records, 200)]);
      const upStarted = Date.now();
      const { steps } = await s.up(config([{ ...SERVICES_004[0], version: "v2" }, SERVICES_004[1]]));
      const upEnded = Date.now();
      await Promise.all([moreRequests(loadA.records, 200), moreRequests(loadB.records, 200)]);
      const [a, b] = await Promise.all([loadA.stop(), loadB.stop()]);
      // The measured numbers, for the report of a run (failed/total per service, seconds of the up).
      console.info(`[${kind}] switch of a under load: a ${a.failed}/${a.total} failed, b ${b.failed}/${b.total} failed, up ${((upEnded - upStarted) / 1000).toFixed(1)} s`);
      const diag = a.failed || b.failed ? await gatewayDiagnostics(s) : "";
      expect(a.failures, diag).toEqual({});
      expect(b.failures, diag).toEqual({});
      expect(a.failed + b.failed).toBe(0);
      expect(coverageProblems(a.records, loadA.startedAt, { from: upStarted, to: upEnded }, 400)).toEqual([]);
      expect(coverageProblems(b.records, loadB.startedAt, { from: upStarted, to: upEnded }, 400)).toEqual([]);
      // a: both versions seen, only v2 at the end; b: one container all along.
      expect(a.records.some((r) => r.body?.startsWith("v1 "))).toBe(true);
      expect(a.records.slice(-100).every((r) => r.body?.startsWith("v2 "))).toBe(true);
      expect(new Set(b.records.map((r) => withoutGeneration(r.body ?? "")))).toEqual(new Set([`v1 ${s.prefix}-b-v1-local-0`]));
      // b untouched: no step but "same" for any of its resources, the same containers, the same route key.
      const bSteps = steps.filter((x) => /^b-/.test(x.name) && x.op !== "same").map((x) => `${x.op} ${x.name}`);
      expect(bSteps).toEqual([]);
      expect(steps.filter((x) => x.op !== "same").every((x) => /^a-/.test(x.name)), steps.filter((x) => x.op !== "same").map((x) => `${x.op} ${x.name}`).join(", ")).toBe(true);
      expect(await bContainers()).toEqual(bBefore);
      expect(await bRouteRevision()).toBe(bRouteBefore);
      // a's v1 containers are gone.
      expect((await s.containers()).map((c) => c.Names[0]).filter((n) => n.includes("-a-v1-"))).toEqual([]);
    } finally {
      etcd.close();
    }
  }, UP_MS);
}
