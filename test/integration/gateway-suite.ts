/**
 * The gateway agent's integration suite, run once per proxy kind (gateway-nginx.test.ts, gateway-haproxy.test.ts):
 * a real 3-member etcd with its proxy, real nginx/haproxy, real HTTP backends (small Node servers in this
 * process), and the agent in host mode, spawned exactly as an operator would run it.
 *
 * The tests run in the order written against one agent, one etcd and one set of keys: each starts from the
 * keys, backends and proxy state the previous ones left (alpha, beta, then gamma, svc-a/svc-b routes, ...).
 * Run the whole file; a filtered run (-t) of a later test alone is not meaningful. How fast a change
 * propagates is measured by the benchmarks (`npm run bench -- propagation-<kind>`), not here.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUILTIN_TEMPLATES } from "../../agents/gateway/render";
import { connectEtcd } from "../../lib/etcd/client";
import { routeKey, upstreamKey } from "../../lib/etcd/keys";
import type { GatewayStatus } from "../../lib/etcd/status";
import { readGatewayStatus } from "../../lib/etcd/status-io";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { freePorts, waitFor } from "../helpers/ports";
import { killGroupFromPidFile, startProcess, tail, type Proc } from "../helpers/processes";
import { childPids } from "../../agents/gateway/drivers/retire";

const run = promisify(execFile);
const ROOT = "/sy-test";
const QUIET_MS = 50;
const MAX_WAIT_MS = 250;

/** A small HTTP backend that answers with its name; killable and revivable on the same port. */
export class TestBackend {
  private server?: http.Server;
  constructor(readonly name: string, readonly port: number) {}
  get addr() {
    return `127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      res.setHeader("Content-Type", "text/plain");
      res.end(req.url === "/healthz" ? "ok\n" : `${this.name}\n`);
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => server.listen(this.port, "127.0.0.1", resolve).on("error", reject));
    this.server = server;
  }
  async kill(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
}

export interface Reply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

export function request(port: number, opts: { host?: string; path?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: opts.path ?? "/", agent: false, timeout: 5000, headers: { ...(opts.host ? { Host: opts.host } : {}), ...opts.headers } }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim(), headers: res.headers }));
    });
    req.on("timeout", () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
  });
}

/** n sequential requests; returns how many each body (backend name, or "<status>") got. */
async function tally(port: number, n: number, host?: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await request(port, { host });
    const k = r.status === 200 ? r.body : `HTTP ${r.status}`;
    counts[k] = (counts[k] ?? 0) + 1;
  }
  return counts;
}

export function defineGatewaySuite(kind: "nginx" | "haproxy"): void {
  describe(`gateway agent with ${kind} (host mode, real etcd, real ${kind})`, () => {
    let cluster: TestCluster;
    let etcd: Etcd3;
    let agent: Proc | undefined;
    let dir: string;
    let listenPort: number, statsPort: number, metricsPort: number;
    let templateFile: string;
    const backends: TestBackend[] = [];
    const id = `gw-${kind}`;

    const etcdctl = async (...args: string[]) =>
      (await run("etcdctl", [`--endpoints=${cluster.proxyEndpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: "3" } })).stdout.trim();
    const revisionOf = async (key: string) => Number((await etcd.get(key).exec()).kvs[0]?.mod_revision ?? (await etcd.get(key).exec()).header.revision);
    const status = (): Promise<GatewayStatus | undefined> => readGatewayStatus(etcd, ROOT, id);
    const statusWhere = (what: string, pred: (s: GatewayStatus) => boolean, timeoutMs = 20_000) =>
      waitFor(what, async () => {
        const s = await status();
        return s && pred(s) ? s : undefined;
      }, timeoutMs, 25).catch((e) => {
        throw new Error(`${(e as Error).message}\n--- agent log\n${agent ? tail(agent.logFile, 25) : ""}`);
      });
    const metric = async (name: string, labels = ""): Promise<number> => {
      const text = await new Promise<string>((resolve, reject) =>
        http.get({ host: "127.0.0.1", port: metricsPort, path: "/metrics", agent: false }, (res) => {
          let b = "";
          res.on("data", (d) => (b += d));
          res.on("end", () => resolve(b));
        }).on("error", reject));
      const line = text.split("\n").find((l) => l.startsWith(`${name}${labels} `) || (labels === "" && l.startsWith(`${name} `)));
      return line ? Number(line.split(" ").pop()) : NaN;
    };

    const startAgent = async (): Promise<Proc> => {
      const proc = startProcess(
        path.resolve("node_modules/.bin/tsx"),
        [
          "agents/gateway/main.ts",
          "--kind", kind,
          "--etcd", cluster.proxyEndpoint,
          "--root", ROOT,
          "--id", id,
          "--work-dir", path.join(dir, "work"),
          "--listen", `127.0.0.1:${listenPort}`,
          "--stats", `127.0.0.1:${statsPort}`,
          "--metrics", `127.0.0.1:${metricsPort}`,
          "--template", templateFile,
          "--quiet-ms", String(QUIET_MS),
          "--max-wait-ms", String(MAX_WAIT_MS),
          "--health-interval-ms", "300",
          "--health-timeout-ms", "500",
          "--health-path", "/healthz",
          "--drain-ms", "300",
          "--status-ttl", "5",
          "--workers", "2",
          "--exit-with-parent",
        ],
        path.join(dir, "agent.log"),
      );
      await waitFor("the agent's /healthz", async () => (await request(metricsPort, { path: "/healthz" })).status === 200, 60_000, 100).catch((e) => {
        throw new Error(`${(e as Error).message}\n${tail(path.join(dir, "agent.log"), 40)}`);
      });
      return proc;
    };

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), `sy-test-gateway-${kind}-`));
      cluster = await startEtcdCluster({ size: 3 });
      etcd = connectEtcd(cluster.connection());
      const ports = await freePorts(7);
      [listenPort, statsPort, metricsPort] = ports;
      for (const [i, name] of ["alpha", "beta", "gamma", "delta"].entries()) {
        const b = new TestBackend(name, ports[3 + i]);
        await b.start();
        backends.push(b);
      }
      // A user template that starts as a copy of the built-in one: the override path is the one under test.
      templateFile = path.join(dir, `user-${kind}.hbs`);
      fs.writeFileSync(templateFile, BUILTIN_TEMPLATES[kind]);
      agent = await startAgent();
    });

    afterAll(async () => {
      await agent?.kill("SIGTERM");
      // The proxy runs in a process group of its own (it outlives a crashed agent, on purpose): if an agent
      // died before it could stop it, or a test failed between killing one agent and starting the next, only
      // its pid file still knows it.
      if (dir) killGroupFromPidFile(path.join(dir, "work", `${kind}.pid`), path.join(dir, "work"));
      etcd?.close();
      await Promise.all(backends.map((b) => b.kill()));
      await cluster?.stop();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("routes to an upstream put by hand with etcdctl (plain host:port), and says 503 while there is none", async () => {
      const empty = await request(listenPort);
      expect(empty.status).toBe(503);
      await etcdctl("put", upstreamKey(ROOT, "app", "alpha"), backends[0].addr);
      await statusWhere("app/alpha healthy", (s) => s.endpoints["app/alpha"]?.health === "healthy");
      const r = await request(listenPort);
      expect(r).toMatchObject({ status: 200, body: "alpha" });
    });

    it("alternates between two upstreams (one of them a JSON value)", async () => {
      await etcdctl("put", upstreamKey(ROOT, "app", "beta"), JSON.stringify({ addr: backends[1].addr, version: "v2" }));
      await statusWhere("app/beta healthy", (s) => s.endpoints["app/beta"]?.health === "healthy");
      const counts = await tally(listenPort, 20);
      expect(Object.keys(counts).sort()).toEqual(["alpha", "beta"]);
      expect(counts.alpha).toBeGreaterThanOrEqual(5);
      expect(counts.beta).toBeGreaterThanOrEqual(5);
    });

    it("reports the applied revision of a change in its status key and its metrics, with the new endpoint routed", async () => {
      await etcdctl("put", upstreamKey(ROOT, "app", "gamma"), backends[2].addr);
      const rev = await revisionOf(upstreamKey(ROOT, "app", "gamma"));
      const s = await statusWhere(`appliedRevision >= ${rev}`, (x) => x.appliedRevision >= rev);
      expect(s.endpoints["app/gamma"]).toMatchObject({ addr: backends[2].addr });
      expect(s.kind).toBe(kind);
      expect(s.lastError).toBeNull();
      expect(await metric("switchyard_gateway_applied_revision")).toBeGreaterThanOrEqual(rev);
      expect(await metric("switchyard_gateway_seen_revision")).toBeGreaterThanOrEqual(rev);
      // The latency of this path (put -> first request answered) is the propagation-<kind> benchmark's number.
    });

    it("stops sending traffic to a deleted upstream once the status no longer lists it", async () => {
      await etcdctl("del", upstreamKey(ROOT, "app", "gamma"));
      const rev = await revisionOf(upstreamKey(ROOT, "app", "alpha"));
      await statusWhere("app/gamma unrouted", (s) => s.appliedRevision >= rev && !s.endpoints["app/gamma"]);
      const counts = await tally(listenPort, 20);
      expect(counts.gamma).toBeUndefined();
      expect((counts.alpha ?? 0) + (counts.beta ?? 0)).toBe(20);
    });

    it("routes by Host header (a.b.com / b.b.com), unknown hosts to the default service", async () => {
      await etcdctl("put", upstreamKey(ROOT, "svc-a", "gamma"), backends[2].addr);
      await etcdctl("put", routeKey(ROOT, "svc-a"), JSON.stringify({ hosts: ["a.b.com"] }));
      await etcdctl("put", upstreamKey(ROOT, "svc-b", "delta"), backends[3].addr);
      await etcdctl("put", routeKey(ROOT, "svc-b"), JSON.stringify({ hosts: ["b.b.com"] }));
      await etcdctl("put", routeKey(ROOT, "app"), JSON.stringify({ hosts: [], default: true }));
      await statusWhere("svc-a and svc-b healthy", (s) => s.endpoints["svc-a/gamma"]?.health === "healthy" && s.endpoints["svc-b/delta"]?.health === "healthy");
      const rev = Number((await etcd.get(routeKey(ROOT, "app")).exec()).kvs[0].mod_revision);
      await statusWhere(`revision ${rev} applied`, (s) => s.appliedRevision >= rev);
      expect(await tally(listenPort, 4, "a.b.com")).toEqual({ gamma: 4 });
      expect(await tally(listenPort, 4, "b.b.com:8000")).toEqual({ delta: 4 });
      const other = await tally(listenPort, 6, "unknown.example");
      expect(Object.keys(other).sort()).toEqual(["alpha", "beta"]);
      // A routed service without endpoints: a clear 503, not an error page or a broken config.
      await etcdctl("put", routeKey(ROOT, "svc-empty"), JSON.stringify({ hosts: ["e.b.com"] }));
      const erev = Number((await etcd.get(routeKey(ROOT, "svc-empty")).exec()).kvs[0].mod_revision);
      await statusWhere(`revision ${erev} applied`, (s) => s.appliedRevision >= erev);
      const empty = await request(listenPort, { host: "e.b.com" });
      expect(empty.status).toBe(503);
      expect(empty.body).toBe("switchyard: service 'svc-empty' has no healthy endpoints");
    });

    it("skips a garbage value with a warning, and traffic is unaffected", async () => {
      const before = await metric("switchyard_gateway_skipped_keys_total");
      await etcdctl("put", upstreamKey(ROOT, "app", "broken"), "this is not an address");
      const rev = await revisionOf(upstreamKey(ROOT, "app", "broken"));
      const s = await statusWhere(`revision ${rev} applied`, (x) => x.appliedRevision >= rev);
      expect(s.endpoints["app/broken"]).toBeUndefined();
      expect(s.lastError).toBeNull();
      expect(await metric("switchyard_gateway_skipped_keys_total")).toBe(before + 1);
      expect(await metric("switchyard_gateway_invalid_keys")).toBeGreaterThanOrEqual(1);
      expect(fs.readFileSync(agent!.logFile, "utf8")).toMatch(/skipping a key the gateway cannot use.*|.*app\/upstream\/broken.*skipping/);
      const counts = await tally(listenPort, 10);
      expect((counts.alpha ?? 0) + (counts.beta ?? 0)).toBe(10);
      await etcdctl("del", upstreamKey(ROOT, "app", "broken"));
    });

    it("takes a killed backend out of rotation by health checks and back when it revives", async () => {
      await backends[1].kill();
      await statusWhere("app/beta unhealthy", (s) => s.endpoints["app/beta"]?.health === "unhealthy");
      expect(await tally(listenPort, 10)).toEqual({ alpha: 10 });
      await backends[1].start();
      await statusWhere("app/beta healthy again", (s) => s.endpoints["app/beta"]?.health === "healthy");
      const counts = await tally(listenPort, 20);
      expect(counts.beta).toBeGreaterThanOrEqual(5);
    });

    it("rejects a user template that renders an invalid config, keeps serving, reports it in status and metrics", async () => {
      const invalidBefore = await metric("switchyard_gateway_renders_total", '{result="invalid"}');
      fs.writeFileSync(templateFile, BUILTIN_TEMPLATES[kind] + "\nthis_is_not_a_directive on;\n");
      // A routing change needs a render: it must be refused.
      await etcdctl("put", routeKey(ROOT, "svc-b"), JSON.stringify({ hosts: ["b.b.com", "c.b.com"] }));
      const s = await statusWhere("lastError set", (x) => x.lastError !== null);
      expect(s.lastError!.message).toMatch(/validate/);
      expect(await metric("switchyard_gateway_renders_total", '{result="invalid"}')).toBeGreaterThan(invalidBefore);
      expect(await metric("switchyard_gateway_last_apply_ok")).toBe(0);
      // Last good config still serves: the old hosts route, the new one does not exist yet.
      expect(await tally(listenPort, 3, "b.b.com")).toEqual({ delta: 3 });
      expect(Object.keys(await tally(listenPort, 4, "c.b.com")).sort()).toEqual(["alpha", "beta"]);
      // Fixing the template lets the pending change through (the agent retries on its own).
      fs.writeFileSync(templateFile, BUILTIN_TEMPLATES[kind]);
      await statusWhere("lastError cleared", (x) => x.lastError === null);
      expect(await tally(listenPort, 3, "c.b.com")).toEqual({ delta: 3 });
    });

    it("keeps serving while etcd is fully down, and catches up with changes made meanwhile (history compacted) once it is back", async () => {
      await cluster.killProxy();
      await Promise.all([0, 1, 2].map((i) => cluster.kill(i)));
      // Longer than the status lease TTL: the agent must come back with a fresh lease.
      const deadline = Date.now() + 6000;
      let served = 0;
      while (Date.now() < deadline) {
        const r = await request(listenPort);
        expect(r.status).toBe(200);
        served++;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(served).toBeGreaterThan(10);
      expect((await request(metricsPort, { path: "/healthz" })).body).toMatch(/"etcd":"unreachable"/);
      await Promise.all([0, 1, 2].map((i) => cluster.restart(i)));
      // A change while the gateway is still cut off (its etcd proxy is down): made directly on a member.
      const direct = connectEtcd({ endpoints: cluster.memberEndpoints, callTimeoutMs: 5000 });
      try {
        await direct.delete().key(upstreamKey(ROOT, "app", "alpha"));
        const put = await direct.put(upstreamKey(ROOT, "app", "gamma")).value(backends[2].addr).exec();
        // Compact the history too: a watch resuming from its last revision gets "compacted" and must re-list.
        await direct.kv.compact({ revision: put.header.revision, physical: true });
      } finally {
        direct.close();
      }
      expect(Object.keys(await tally(listenPort, 6)).sort()).toEqual(["alpha", "beta"]);
      await cluster.restartProxy();
      await statusWhere("caught up: alpha gone, gamma healthy", (s) => !s.endpoints["app/alpha"] && s.endpoints["app/gamma"]?.health === "healthy", 40_000);
      expect(Object.keys(await tally(listenPort, 10)).sort()).toEqual(["beta", "gamma"]);
    });

    it(`restarts ${kind} on its last good config when the proxy dies`, async () => {
      const work = path.join(dir, "work");
      const pid = Number(fs.readFileSync(path.join(work, `${kind}.pid`), "utf8").trim());
      expect(pid).toBeGreaterThan(1);
      const before = await metric("switchyard_gateway_failures_total", '{stage="proxy_exit"}');
      process.kill(pid, "SIGKILL");
      await waitFor("the proxy to be restarted and serving", async () => {
        const newPid = Number(fs.readFileSync(path.join(work, `${kind}.pid`), "utf8").trim());
        if (newPid === pid) return false;
        return (await request(listenPort)).status === 200;
      }, 30_000, 100);
      const after = await metric("switchyard_gateway_failures_total", '{stage="proxy_exit"}');
      expect(after).toBe((Number.isNaN(before) ? 0 : before) + 1);
      const counts = await tally(listenPort, 10);
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(10);
      expect(Object.keys(counts).every((k) => !k.startsWith("HTTP"))).toBe(true);
    });

    it(`keeps ${kind} serving while the agent is killed, and a new agent adopts it without a restart`, async () => {
      const pidFile = path.join(dir, "work", `${kind}.pid`);
      const master = Number(fs.readFileSync(pidFile, "utf8").trim());
      // tsx runs the agent in a child process: kill that one, as a crash would.
      const inner = childPids(agent!.child.pid!);
      expect(inner.length).toBeGreaterThan(0);
      for (const pid of inner) process.kill(pid, "SIGKILL");
      await agent!.exited;
      for (let i = 0; i < 20; i++) expect((await request(listenPort)).status).toBe(200);
      agent = await startAgent();
      expect(Number(fs.readFileSync(pidFile, "utf8").trim())).toBe(master);
      expect(fs.readFileSync(agent.logFile, "utf8")).toMatch(/adopted the running/);
      // The new agent applies changes to the adopted proxy.
      await etcdctl("put", upstreamKey(ROOT, "svc-b", "alpha"), backends[0].addr);
      await statusWhere("svc-b/alpha healthy", (x) => x.endpoints["svc-b/alpha"]?.health === "healthy");
      const counts = await tally(listenPort, 8, "b.b.com");
      expect(counts.alpha).toBeGreaterThanOrEqual(2);
      await etcdctl("del", upstreamKey(ROOT, "svc-b", "alpha"));
    });

    if (kind === "haproxy") {
      it("serves the haproxy stats page on the stats port", async () => {
        const r = await request(statsPort);
        expect(r.status).toBe(200);
        expect(r.body).toMatch(/Statistics Report for HAProxy/);
        expect(r.body).toMatch(/sy_app/);
      });
    }

    it("sticks a client to one endpoint with a cookie when the route asks for it", async () => {
      await etcdctl("put", routeKey(ROOT, "app"), JSON.stringify({ hosts: [], default: true, sticky: true }));
      const rev = Number((await etcd.get(routeKey(ROOT, "app")).exec()).kvs[0].mod_revision);
      await statusWhere(`revision ${rev} applied`, (s) => s.appliedRevision >= rev && s.lastError === null);
      const first = await request(listenPort);
      const cookie = String(first.headers["set-cookie"] ?? "").split(";")[0];
      const work = path.join(dir, "work");
      const peers = kind === "nginx" ? fs.readFileSync(path.join(work, "peers.txt"), "utf8") : "";
      expect(cookie, `no cookie; peers: ${peers}\nagent log:\n${tail(agent!.logFile, 12)}`).toMatch(/^SERVERID=/);
      for (let i = 0; i < 6; i++) {
        const r = await request(listenPort, { headers: { Cookie: cookie } });
        expect(r.body).toBe(first.body);
      }
    });
  });
}
