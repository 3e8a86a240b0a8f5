/**
 * agent-restart-<kind>: the gateway agent SIGKILLed again and again under 16 keep-alive clients, with membership
 * changes in between, as a crash inside the gateway container would do it (the entrypoint starts a new agent
 * a second later, which adopts the running proxy). Counts every request: the target is 0 failed.
 *
 * Shared with test/integration/gateway-agent-restart.test.ts (same rig, fewer knobs).
 * Real parts: 3-member etcd + its proxy, real nginx/haproxy, backends as separate Node processes, the agent
 * in host mode with its production defaults (health interval, fall, timeouts).
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { bundleAgent } from "../../lib/agent-kit/bundle";
import { connectEtcd } from "../../lib/etcd/client";
import { upstreamKey } from "../../lib/etcd/keys";
import type { GatewayStatus } from "../../lib/etcd/status";
import { readGatewayStatus } from "../../lib/etcd/status-io";
import { startEtcdCluster } from "../../test/helpers/etcd-cluster";
import { freePorts, waitFor } from "../../test/helpers/ports";
import { startProcess, tail, type Proc } from "../../test/helpers/processes";
import { startLoad } from "../load";
import { startBackendProcess } from "../backend-process";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario";

const ROOT = "/sy-agent-restart";
const KINDS = ["nginx", "haproxy"] as const;
type Kind = (typeof KINDS)[number];


export interface RestartResult {
  total: number;
  failed: number;
  failures: Record<string, number>;
  restarts: number;
  changes: number;
  /** Log tails when something failed, for the error message. */
  diagnostics: string;
}

function get(port: number, urlPath = "/"): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: urlPath, agent: false, timeout: 3000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
  });
}

/**
 * Runs `rounds` rounds of: one membership change (a new endpoint in, the oldest out), wait until the gateway
 * reports it applied, SIGKILL the agent, start a new one a second later, wait until it reports the current
 * revision applied. Load runs through all of it.
 */
export async function runAgentRestarts(kind: Kind, rounds: number, log: (m: string) => void = () => undefined): Promise<RestartResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `sy-agent-restart-${kind}-`));
  const cluster = await startEtcdCluster({ size: 3 });
  const etcd = connectEtcd(cluster.connection({ callTimeoutMs: 5000 }));
  const [listenPort, statsPort, metricsPort, ...backendPorts] = await freePorts(3 + 4);
  const backends = backendPorts.map((port, i) => ({
    name: `b${i}`,
    addr: `127.0.0.1:${port}`,
    proc: startBackendProcess(port, `b${i}`, path.join(dir, `b${i}.log`)),
  }));
  const id = `restart-${kind}`;
  const agentLog = path.join(dir, "agent.log");
  // The bundle the image runs, started with plain node: one process, so that SIGKILL hits the agent itself, and
  // a start as quick as in the container.
  const bundle = bundleAgent(path.resolve(__dirname, "../.."), "agents/gateway/main.ts", path.join(dir, "agent"), "gateway");
  const startAgent = (): Proc =>
    startProcess(process.execPath, [
      bundle, "--kind", kind, "--etcd", cluster.proxyEndpoint, "--root", ROOT, "--id", id,
      "--work-dir", path.join(dir, "work"), "--listen", `127.0.0.1:${listenPort}`, "--stats", `127.0.0.1:${statsPort}`,
      "--metrics", `127.0.0.1:${metricsPort}`, "--workers", "2", "--exit-with-parent",
    ], agentLog, { LOG_LEVEL: "info" });
  const status = (): Promise<GatewayStatus | undefined> => readGatewayStatus(etcd, ROOT, id);
  const applied = async (want: { healthy: string[]; gone: string[] }, revision: number, what: string) =>
    waitFor(what, async () => {
      const s = await status();
      return !!s && s.appliedRevision >= revision && want.healthy.every((e) => s.endpoints[`app/${e}`]?.health === "healthy") && want.gone.every((e) => !s.endpoints[`app/${e}`]);
    }, 30_000, 25).catch((e) => {
      throw new Error(`${(e as Error).message}\n--- agent log\n${tail(agentLog, 30)}`);
    });

  let agent: Proc | undefined;
  try {
    await waitFor("backends", async () => {
      for (const b of backendPorts) await get(b);
      return true;
    }, 20_000, 100);
    agent = startAgent();
    await waitFor("agent /healthz", async () => (await get(metricsPort, "/healthz")) === 200, 60_000, 100);
    // Two live endpoints at all times; each round brings one in and takes the oldest out.
    const live: { name: string; addr: string }[] = [
      { name: "e0", addr: backends[0].addr },
      { name: "e1", addr: backends[1].addr },
    ];
    let revision = 0;
    for (const e of live) revision = Number((await etcd.put(upstreamKey(ROOT, "app", e.name)).value(e.addr).exec()).header.revision);
    await applied({ healthy: live.map((e) => e.name), gone: [] }, revision, "first endpoints routed");

    const load = startLoad({ url: `http://127.0.0.1:${listenPort}/`, connections: 16, timeoutMs: 5000 });
    let changes = 0;
    for (let round = 1; round <= rounds; round++) {
      const incoming = { name: `e${round + 1}`, addr: backends[(round + 1) % backends.length].addr };
      const outgoing = live.shift()!;
      await etcd.put(upstreamKey(ROOT, "app", incoming.name)).value(incoming.addr);
      revision = Number((await etcd.delete().key(upstreamKey(ROOT, "app", outgoing.name)).exec()).header.revision);
      live.push(incoming);
      changes += 2;
      await applied({ healthy: live.map((e) => e.name), gone: [outgoing.name] }, revision, `round ${round}: change applied`);
      // The crash: SIGKILL to the agent alone (the proxy runs in its own process group and keeps serving).
      process.kill(agent.child.pid!, "SIGKILL");
      await agent.exited;
      await new Promise((r) => setTimeout(r, 1000)); // the container entrypoint's pause before it starts a new agent
      agent = startAgent();
      await waitFor(`round ${round}: the new agent's /healthz`, async () => (await get(metricsPort, "/healthz")) === 200, 60_000, 50);
      // The new agent has taken over (its /healthz answers 200 only after its first apply) and reports the last
      // change applied with both live endpoints healthy.
      await applied({ healthy: live.map((e) => e.name), gone: [outgoing.name] }, revision, `round ${round}: new agent caught up`);
      // Let the new agent's own health checks run a few rounds under load before the next change.
      await new Promise((r) => setTimeout(r, 1500));
      log(`round ${round}: ${load.records.length} requests, ${load.records.filter((r) => !r.ok).length} failed`);
    }
    const summary = await load.stop();
    const work = path.join(dir, "work");
    const diagnostics = summary.failed
      ? `failures ${JSON.stringify(summary.failures)} at t=${summary.records.filter((r) => !r.ok).slice(0, 10).map((r) => r.t).join(",")}\n--- agent log\n${tail(agentLog, 60)}\n--- proxy log\n${tail(path.join(work, kind === "nginx" ? "nginx-error.log" : "haproxy.out"), 20)}`
      : "";
    return { total: summary.total, failed: summary.failed, failures: summary.failures, restarts: rounds, changes, diagnostics };
  } finally {
    await agent?.kill("SIGTERM");
    await Promise.all(backends.map((b) => b.proc.kill("SIGKILL")));
    etcd.close();
    await cluster.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function agentRestart(): Scenario {
  return {
    name: "agent-restart",
    description: "SIGKILL the gateway agent 10 times per kind under 16 keep-alive clients, membership changes in between; failed/total",
    async run(ctx: ScenarioContext): Promise<ScenarioResult> {
      const metrics: Record<string, number> = {};
      for (const kind of KINDS) {
        const r = await runAgentRestarts(kind, 10, (m) => ctx.log(`${kind} ${m}`));
        if (r.failed) ctx.log(r.diagnostics);
        metrics[`${kind}_failed_requests`] = r.failed;
        metrics[`${kind}_total_requests`] = r.total;
        metrics[`${kind}_restarts`] = r.restarts;
        metrics[`${kind}_membership_changes`] = r.changes;
      }
      metrics.failed_requests = KINDS.reduce((s, k) => s + metrics[`${k}_failed_requests`], 0);
      metrics.total_requests = KINDS.reduce((s, k) => s + metrics[`${k}_total_requests`], 0);
      return { metrics };
    },
  };
}

export const scenarios: Scenario[] = [agentRestart()];
