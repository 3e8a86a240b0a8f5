/**
 * gateway: the agent in host mode in front of real backends, real 3-member etcd, real nginx/haproxy.
 *
 *   propagation-<kind>    etcd put -> first request answered by the new endpoint (p50/p99 over CHANGES changes)
 *   churn-<kind>          wrk -c32 keep-alive load while CHURN membership changes happen; failed vs total
 *   churn-<kind>-reload   the same with --reload-per-change (a graceful reload per change, as confd did): baseline
 *   overhead-<kind>       wrk requests/s through the gateway vs straight to the backend and vs a bare proxy of the
 *                         same kind with a static config, same run; ratios
 *
 * Backends are separate Node processes (so they do not share the bench's event loop); loads are bounded in
 * time and stay on loopback.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Etcd3 } from "etcd3";
import { connectEtcd } from "../../lib/etcd/client";
import { upstreamKey } from "../../lib/etcd/keys";
import { readGatewayStatus } from "../../lib/etcd/status-io";
import { startEtcdCluster, type TestCluster } from "../../test/helpers/etcd-cluster";
import { freePorts, waitFor } from "../../test/helpers/ports";
import { startProcess, tail, type Proc } from "../../test/helpers/processes";
import { startBackendProcess } from "../backend-process";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario";
import { percentile, round } from "../stats";

const run = promisify(execFile);
export const ROOT = "/bench-gateway";
const CHANGES = 60;
const CHURN = 20;
// Ten adjacent window triples: on a shared 2-core machine six gave per-window ratios from 0.75 to 1.11.
const ROUNDS = 10;
export const KINDS = ["nginx", "haproxy"] as const;
export type Kind = (typeof KINDS)[number];


export interface Rig {
  dir: string;
  cluster: TestCluster;
  etcd: Etcd3;
  agent: Proc;
  listenPort: number;
  metricsPort: number;
  backends: { name: string; port: number; addr: string; proc: Proc }[];
  stop(): Promise<void>;
}

export async function startRig(kind: Kind, nBackends: number, extraFlags: string[] = [], backendHost = "127.0.0.1"): Promise<Rig> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sy-bench-gateway-${kind}-`));
  const cluster = await startEtcdCluster({ size: 3 });
  const etcd = connectEtcd(cluster.connection({ callTimeoutMs: 5000 }));
  const ports = await freePorts(3 + nBackends);
  const [listenPort, statsPort, metricsPort] = ports;
  const backends = ports.slice(3).map((port, i) => {
    const name = `b${i}`;
    return { name, port, addr: `127.0.0.1:${port}`, proc: startBackendProcess(port, name, path.join(dir, `${name}.log`), backendHost) };
  });
  const agent = startProcess(path.resolve("node_modules/.bin/tsx"), [
    "agents/gateway/main.ts", "--kind", kind, "--etcd", cluster.proxyEndpoint, "--root", ROOT, "--id", `bench-${kind}`,
    "--work-dir", path.join(dir, "work"), "--listen", `127.0.0.1:${listenPort}`, "--stats", `127.0.0.1:${statsPort}`,
    "--metrics", `127.0.0.1:${metricsPort}`, "--drain-ms", "200", "--health-interval-ms", "500", "--exit-with-parent", ...extraFlags,
    // Extra agent flags for experiments, e.g. GATEWAY_BENCH_FLAGS="--workers 1".
    ...(process.env.GATEWAY_BENCH_FLAGS ?? "").split(" ").filter(Boolean),
  ], path.join(dir, "agent.log"), { LOG_LEVEL: "info" });
  const rig: Rig = {
    dir, cluster, etcd, agent, listenPort, metricsPort, backends,
    async stop() {
      await agent.kill("SIGTERM");
      await Promise.all(backends.map((b) => b.proc.kill("SIGKILL")));
      etcd.close();
      await cluster.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitFor("backends", async () => {
      for (const b of backends) await get(b.port, new http.Agent());
      return true;
    }, 20_000, 100);
    await waitFor("agent /healthz", async () => (await get(metricsPort, new http.Agent(), "/healthz")).status === 200, 60_000, 100);
  } catch (e) {
    const logs = tail(agent.logFile, 30);
    await rig.stop();
    throw new Error(`${(e as Error).message}\n${logs}`);
  }
  return rig;
}

function get(port: number, agent: http.Agent, urlPath = "/"): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

async function statusRouted(rig: Rig, id: string, kind: Kind): Promise<boolean> {
  const s = await readGatewayStatus(rig.etcd, ROOT, `bench-${kind}`);
  return s?.endpoints[id]?.health === "healthy";
}

async function statusUnrouted(rig: Rig, id: string, kind: Kind): Promise<boolean> {
  const s = await readGatewayStatus(rig.etcd, ROOT, `bench-${kind}`);
  return !!s && !s.endpoints[id];
}

function propagation(kind: Kind): Scenario {
  return {
    name: `propagation-${kind}`,
    description: `etcd put -> first request served by the new endpoint through ${kind}, ${CHANGES} changes (agent defaults: quiet 20 ms, max wait 200 ms)`,
    async run(ctx: ScenarioContext): Promise<ScenarioResult> {
      const rig = await startRig(kind, 2);
      const client = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const [a] = rig.backends;
        await rig.etcd.put(upstreamKey(ROOT, "app", "e0")).value(a.addr);
        await waitFor("first endpoint routed", async () => (await get(rig.listenPort, client)).body === a.name, 30_000, 20);
        const samples: number[] = [];
        const putMs: number[] = [];
        let current = 0;
        for (let i = 1; i <= CHANGES; i++) {
          const next = rig.backends[i % 2];
          const t0 = performance.now();
          await rig.etcd.put(upstreamKey(ROOT, "app", `e${i}`)).value(next.addr);
          putMs.push(performance.now() - t0);
          // Poll with back-to-back keep-alive requests until the new endpoint answers.
          for (;;) {
            const r = await get(rig.listenPort, client);
            if (r.body === next.name) break;
            if (performance.now() - t0 > 10_000) throw new Error(`endpoint e${i} not served after 10 s`);
          }
          samples.push(performance.now() - t0);
          await rig.etcd.delete().key(upstreamKey(ROOT, "app", `e${current}`));
          await waitFor(`e${current} unrouted`, () => statusUnrouted(rig, `app/e${current}`, kind), 10_000, 20);
          current = i;
        }
        ctx.log(`${CHANGES} changes measured`);
        return {
          metrics: {
            p50_ms: round(percentile(samples, 50), 1),
            p99_ms: round(percentile(samples, 99), 1),
            max_ms: round(Math.max(...samples), 1),
            // The etcd put's own round trip (commit + fsync on 3 members) is part of the above.
            put_p50_ms: round(percentile(putMs, 50), 1),
            put_p99_ms: round(percentile(putMs, 99), 1),
            changes: CHANGES,
          },
          series: { propagation_ms: samples.map((x) => round(x, 1)), put_ms: putMs.map((x) => round(x, 1)) },
        };
      } finally {
        client.destroy();
        await rig.stop();
      }
    },
  };
}

interface WrkResult {
  requests: number;
  failed: number;
  rps: number;
  detail: string;
}

async function wrk(port: number, seconds: number, connections: number, threads = 2): Promise<WrkResult> {
  const { stdout } = await run("wrk", [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--timeout", "5s", `http://127.0.0.1:${port}/`], { timeout: (seconds + 30) * 1000 }).catch((e) => {
    throw new Error(`wrk against port ${port} failed: ${(e as { stdout?: string; stderr?: string }).stdout ?? ""} ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
  });
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1] ?? NaN);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(stdout)?.[1] ?? 0);
  const socketErrors = sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN);
  return { requests, failed: socketErrors + non2xx, rps, detail: `${sock?.[0] ?? "no socket errors"}; non-2xx ${non2xx}` };
}

function churn(kind: Kind, reload: boolean): Scenario {
  return {
    name: `churn-${kind}${reload ? "-reload" : ""}`,
    description: `wrk -c32 keep-alive load through ${kind} while ${CHURN} membership changes happen, ${reload ? "each applied by a graceful reload (baseline)" : "applied without reload"}`,
    async run(ctx: ScenarioContext): Promise<ScenarioResult> {
      const rig = await startRig(kind, 4, reload ? ["--reload-per-change"] : []);
      try {
        // Two stable endpoints, two that come and go.
        for (const b of rig.backends.slice(0, 2)) await rig.etcd.put(upstreamKey(ROOT, "app", b.name)).value(b.addr);
        for (const b of rig.backends.slice(0, 2)) await waitFor(`${b.name} routed`, () => statusRouted(rig, `app/${b.name}`, kind), 30_000, 50);
        const intervalMs = 500;
        const seconds = Math.ceil((CHURN * intervalMs) / 1000) + 3;
        const load = wrk(rig.listenPort, seconds, 32);
        await new Promise((r) => setTimeout(r, 1000));
        const present = new Set<string>();
        for (let i = 0; i < CHURN; i++) {
          const b = rig.backends[2 + (Math.floor(i / 2) % 2)];
          const key = upstreamKey(ROOT, "app", b.name);
          if (present.has(b.name)) {
            await rig.etcd.delete().key(key);
            present.delete(b.name);
          } else {
            await rig.etcd.put(key).value(b.addr);
            present.add(b.name);
          }
          await new Promise((r) => setTimeout(r, intervalMs));
        }
        const w = await load;
        ctx.log(`wrk: ${w.requests} requests, ${w.detail}`);
        if (w.failed > 0) ctx.log(`proxy log tail:\n${tail(path.join(rig.dir, "work", kind === "nginx" ? "nginx-error.log" : "haproxy.out"), 12)}\nagent log tail:\n${tail(rig.agent.logFile, 8)}`);
        return { metrics: { failed_requests: w.failed, total_requests: w.requests, changes: CHURN, requests_per_second: round(w.rps, 0) } };
      } finally {
        await rig.stop();
      }
    },
  };
}

/** A bare proxy of the same kind with a static one-server config: the reference for what a proxy costs here. */
function startPlainProxy(kind: Kind, dir: string, port: number, backend: string): Proc {
  const work = path.join(dir, "plain");
  fs.mkdirSync(path.join(work, "tmp"), { recursive: true });
  if (kind === "nginx") {
    fs.writeFileSync(path.join(work, "nginx.conf"), `worker_processes auto;
pid ${work}/nginx.pid;
error_log ${work}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${work}/tmp; proxy_temp_path ${work}/tmp; fastcgi_temp_path ${work}/tmp; uwsgi_temp_path ${work}/tmp; scgi_temp_path ${work}/tmp;
  upstream u { server ${backend}; keepalive 64; }
  server { listen 127.0.0.1:${port}; location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
`);
    return startProcess("nginx", ["-p", work, "-c", path.join(work, "nginx.conf"), "-e", path.join(work, "error.log"), "-g", "daemon off;"], path.join(work, "out.log"));
  }
  fs.writeFileSync(path.join(work, "haproxy.cfg"), `global
    maxconn 4096
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
frontend web
    bind 127.0.0.1:${port}
    default_backend b
backend b
    server s ${backend}
`);
  return startProcess("haproxy", ["-W", "-f", path.join(work, "haproxy.cfg")], path.join(work, "out.log"));
}

function overhead(kind: Kind): Scenario {
  return {
    name: `overhead-${kind}`,
    description: `wrk -t1 -c16 requests/s through the ${kind} gateway vs straight to the same backend (and vs a bare ${kind} with a static config), ${ROUNDS} alternating 3 s windows each, same run; ratio = median of per-window ratios`,
    async run(ctx: ScenarioContext): Promise<ScenarioResult> {
      const rig = await startRig(kind, 1);
      const [plainPort] = await freePorts(1);
      const [b] = rig.backends;
      const plain = startPlainProxy(kind, rig.dir, plainPort, b.addr);
      try {
        await rig.etcd.put(upstreamKey(ROOT, "app", b.name)).value(b.addr);
        await waitFor("routed", () => statusRouted(rig, `app/${b.name}`, kind), 30_000, 50);
        await waitFor("bare proxy", async () => (await get(plainPort, new http.Agent())).status === 200, 20_000, 100);
        await wrk(rig.listenPort, 2, 16, 1); // warm-up
        const sums = { direct: 0, via: 0, plain: 0 };
        let failed = 0;
        const ratios: number[] = [];
        const plainRatios: number[] = [];
        const vsBare: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          // Adjacent short windows, so that load from elsewhere on a shared machine hits all three alike.
          const d = await wrk(b.port, 3, 16, 1);
          const v = await wrk(rig.listenPort, 3, 16, 1);
          const p = await wrk(plainPort, 3, 16, 1);
          sums.direct += d.rps / ROUNDS;
          sums.via += v.rps / ROUNDS;
          sums.plain += p.rps / ROUNDS;
          ratios.push(v.rps / d.rps);
          plainRatios.push(p.rps / d.rps);
          vsBare.push(v.rps / p.rps);
          failed += d.failed + v.failed + p.failed;
        }
        const ratio = percentile(ratios, 50);
        const plainRatio = percentile(plainRatios, 50);
        ctx.log(`direct ${round(sums.direct, 0)} rps, via switchyard ${kind} ${round(sums.via, 0)} rps, via bare ${kind} ${round(sums.plain, 0)} rps`);
        ctx.log(`per-window ratios: switchyard ${ratios.map((r) => r.toFixed(2)).join(" ")}; bare ${plainRatios.map((r) => r.toFixed(2)).join(" ")}; switchyard/bare ${vsBare.map((r) => r.toFixed(2)).join(" ")}`);
        return {
          metrics: {
            direct_rps: round(sums.direct, 0),
            gateway_rps: round(sums.via, 0),
            ratio: round(ratio, 3),
            bare_proxy_rps: round(sums.plain, 0),
            bare_proxy_ratio: round(plainRatio, 3),
            // What the gateway costs over the same proxy with a static config (target >= 0.95).
            gateway_vs_bare_ratio: round(percentile(vsBare, 50), 3),
            failed_requests: failed,
          },
          series: { ratios: ratios.map((r) => round(r, 3)), bare_ratios: plainRatios.map((r) => round(r, 3)), gateway_vs_bare: vsBare.map((r) => round(r, 3)) },
        };
      } finally {
        await plain.kill("SIGTERM");
        await rig.stop();
      }
    },
  };
}

export const scenarios: Scenario[] = KINDS.flatMap((k) => [propagation(k), churn(k, false), churn(k, true), overhead(k)]);
