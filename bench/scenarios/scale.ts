/**
 * scale: the gateway agent (host mode) with thousands of endpoints, real 3-member etcd, real nginx/haproxy.
 *
 *   scale-<kind>   for each size (1,000 endpoints / 100 services, 10,000 / 1,000): bulk load (every key put,
 *                  in transactions of 100) until the gateway reports every endpoint healthy; then SINGLES
 *                  single changes (put a new endpoint of a random service -> the gateway's report of it says
 *                  healthy; then its removal, not timed), with the agent's and the proxy's RSS, the status
 *                  bytes written per change (the agent's own counter) and the agent's CPU per minute.
 *
 * Every endpoint has an address of its own (127.<a>.<b>.<c>:<port>, answered by a few backend processes bound
 * to 0.0.0.0 — all of 127/8 is loopback), so the agent health-checks as many distinct targets as it routes.
 * SCALE_SIZES=1000 (comma-separated endpoint counts) limits the sizes.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import { gatewayEndpointKey, upstreamKey } from "../../lib/etcd/keys";
import { parseEndpointStatus } from "../../lib/etcd/status";
import { readGatewayStatus } from "../../lib/etcd/status-io";
import { waitFor } from "../../test/helpers/ports";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario";
import { percentile, round } from "../stats";
import { KINDS, ROOT, startRig, type Kind, type Rig } from "./gateway";

const SIZES = [
  { endpoints: 1_000, services: 100 },
  { endpoints: 10_000, services: 1_000 },
].filter((s) => !process.env.SCALE_SIZES || process.env.SCALE_SIZES.split(",").map(Number).includes(s.endpoints));
const SINGLES = Number(process.env.SCALE_SINGLES ?? 100);
const BACKENDS = 4;

const serviceName = (i: number) => `svc-${String(i).padStart(4, "0")}`;
/** A distinct loopback address per endpoint number. */
const loopback = (n: number) => `127.${1 + ((n >> 16) & 255)}.${(n >> 8) & 255}.${1 + (n & 255) % 254}`;

function metric(port: number, name: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http.get({ host: "127.0.0.1", port, path: "/metrics", timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve(Number(new RegExp(`^${name} (\\S+)$`, "m").exec(body)?.[1] ?? NaN)));
    }).on("error", reject);
  });
}

/** RSS of the agent's process group (the agent and the proxy it supervises), in MB. */
function groupRssMb(pgid: number): number {
  const out = execFileSync("ps", ["-o", "rss=", "-g", String(pgid)]).toString();
  return out.split("\n").filter(Boolean).reduce((s, x) => s + Number(x), 0) / 1024;
}

/** CPU seconds used so far by the node processes of the group (the agent; tsx's wrapper is idle). */
function agentCpuSeconds(pgid: number): number {
  const out = execFileSync("ps", ["-o", "comm=,cputimes=", "-g", String(pgid)]).toString();
  return out.split("\n").filter((l) => l.trim().startsWith("node")).reduce((s, l) => s + Number(l.trim().split(/\s+/)[1]), 0);
}

async function putAll(rig: Rig, entries: [string, string][]): Promise<void> {
  for (let i = 0; i < entries.length; i += 100) {
    const chunk = entries.slice(i, i + 100);
    await rig.etcd.if(chunk[0][0], "Create", ">", -1).then(...chunk.map(([k, v]) => rig.etcd.put(k).value(v))).commit();
  }
}

async function reportHealthy(rig: Rig, id: string, service: string, endpoint: string): Promise<boolean> {
  const v = await rig.etcd.get(gatewayEndpointKey(ROOT, id, service, endpoint)).string();
  const e = v ? parseEndpointStatus(v) : undefined;
  return !!e && !("problem" in e) && e.health === "healthy";
}

async function runSize(kind: Kind, size: { endpoints: number; services: number }, ctx: ScenarioContext): Promise<Record<string, number>> {
  const rig = await startRig(kind, BACKENDS, ["--health-interval-ms", "2000"], "0.0.0.0");
  const id = `bench-${kind}`;
  const pgid = rig.agent.child.pid!;
  const addrOf = (n: number) => `${loopback(n)}:${rig.backends[n % BACKENDS].port}`;
  try {
    const entries: [string, string][] = [];
    for (let n = 0; n < size.endpoints; n++) entries.push([upstreamKey(ROOT, serviceName(n % size.services), `e${n}`), addrOf(n)]);
    const t0 = performance.now();
    await putAll(rig, entries);
    await waitFor(`${size.endpoints} endpoints healthy`, async () => {
      const s = await readGatewayStatus(rig.etcd, ROOT, id);
      return !!s && Object.values(s.endpoints).filter((e) => e.health === "healthy").length === size.endpoints;
    }, 300_000, 500);
    const bulkSeconds = (performance.now() - t0) / 1000;
    ctx.log(`${kind} ${size.endpoints}: bulk converged in ${bulkSeconds.toFixed(1)} s`);

    const bytes0 = await metric(rig.metricsPort, "switchyard_gateway_status_bytes_total");
    const cpu0 = agentCpuSeconds(pgid);
    const c0 = performance.now();
    const samples: number[] = [];
    for (let i = 0; i < SINGLES; i++) {
      const n = size.endpoints + i;
      const service = serviceName((i * 7919) % size.services);
      const t = performance.now();
      await rig.etcd.put(upstreamKey(ROOT, service, `e${n}`)).value(addrOf(n));
      await waitFor(`single change ${i}`, () => reportHealthy(rig, id, service, `e${n}`), 30_000, 2);
      samples.push(performance.now() - t);
      await rig.etcd.delete().key(upstreamKey(ROOT, service, `e${n}`));
    }
    const minutes = (performance.now() - c0) / 60_000;
    const bytes = (await metric(rig.metricsPort, "switchyard_gateway_status_bytes_total")) - bytes0;
    const rss = groupRssMb(pgid);
    const p = `scale_${size.endpoints}_${kind}`;
    ctx.log(`${kind} ${size.endpoints}: single p50 ${percentile(samples, 50).toFixed(0)} ms, p99 ${percentile(samples, 99).toFixed(0)} ms, RSS ${rss.toFixed(0)} MB`);
    return {
      [`${p}_single_p50_ms`]: round(percentile(samples, 50), 1),
      [`${p}_single_p99_ms`]: round(percentile(samples, 99), 1),
      [`${p}_bulk_seconds`]: round(bulkSeconds, 2),
      [`${p}_rss_mb`]: round(rss, 0),
      // Each single change is a put and a delete: two applies.
      [`${p}_status_bytes_per_change`]: round(bytes / (2 * SINGLES), 0),
      [`${p}_agent_cpu_seconds_per_minute`]: round((agentCpuSeconds(pgid) - cpu0) / minutes, 2),
    };
  } catch (e) {
    ctx.log(`agent log tail:\n${fs.existsSync(rig.agent.logFile) ? fs.readFileSync(rig.agent.logFile, "utf8").split("\n").slice(-15).join("\n") : ""}`);
    throw e;
  } finally {
    await rig.stop();
  }
}

function scale(kind: Kind): Scenario {
  return {
    name: `scale-${kind}`,
    description: `${SIZES.map((s) => `${s.endpoints} endpoints / ${s.services} services`).join(", ")} through ${kind}: bulk converge, ${SINGLES} single changes (put -> reported healthy), RSS, status bytes per change, agent CPU`,
    async run(ctx): Promise<ScenarioResult> {
      const metrics: Record<string, number> = {};
      for (const size of SIZES) Object.assign(metrics, await runSize(kind, size, ctx));
      return { metrics };
    },
  };
}

export const scenarios: Scenario[] = KINDS.map(scale);
