/**
 * Blue-green switchover under keep-alive load, on the real stack deployed by the harness (real etcd, real
 * gateway, real Docker), against the naive switch the source documents start from (002): stop the old
 * container, start the new one on the same published port.
 *  - switchover-<kind>: deploy v1; 16 keep-alive clients through the gateway; `up` with v2; count every
 *    failed request; `switch_seconds` is the update's duration. The naive baseline runs in the same
 *    scenario under the same load, so the two are side by side (`naive_failed_requests`).
 *  - switchover-naive: the baseline alone.
 * Each writes bench/results/<scenario>.json and a timeline (requests/s, failures/s, the steps) as SVG.
 */
import Docker from "dockerode";
import fs from "node:fs";
import path from "node:path";
import { startLoad, type LoadSummary } from "../load";
import { perSecond, timelineSvg, type Marker } from "../plot";
import type { Scenario, ScenarioContext } from "../scenario";
import { round } from "../stats";
import { e2eStack } from "../../test/e2e/fixture";
import { freePorts, waitFor } from "../../test/helpers/ports";

const CONNECTIONS = 16;
const LEAD_MS = 2000;
const TAIL_MS = 2000;
const docker = new Docker();

function plot(ctx: ScenarioContext, name: string, title: string, s: LoadSummary, markers: Marker[]): string {
  const seconds = s.durationMs / 1000;
  const ok = perSecond(s.records.filter((r) => r.ok).map((r) => r.t), seconds);
  const failed = perSecond(s.records.filter((r) => !r.ok).map((r) => r.t), seconds);
  const file = `${name}.svg`;
  fs.writeFileSync(path.join(ctx.resultsDir, file), timelineSvg({
    title,
    yLabel: "requests per second",
    series: [{ name: "served (2xx)", points: ok, color: "steelblue" }, { name: "failed", points: failed, color: "crimson", bars: true }],
    markers,
  }));
  return file;
}

/** The naive switch: one container on a fixed port, replaced by `rm -f` + `run` while clients keep asking. */
async function naiveSwitch(ctx: ScenarioContext, image: string): Promise<{ summary: LoadSummary; switchMs: number; refusedMs: number; markers: Marker[] }> {
  const [port] = await freePorts(1);
  const name = "sy-bench-naive";
  const run = async (version: string) => {
    const c = await docker.createContainer({
      name, Image: image, Env: [`VERSION=${version}`, `CONTAINER_NAME=${name}`, "PORT=8080"],
      ExposedPorts: { "8080/tcp": {} }, HostConfig: { PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: String(port) }] } },
    });
    await c.start();
    return c;
  };
  await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  let c = await run("v1");
  try {
    await waitFor("the naive v1 to answer", async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, 20_000, 100);
    const load = startLoad({ url: `http://127.0.0.1:${port}/`, connections: CONNECTIONS });
    await new Promise((r) => setTimeout(r, LEAD_MS));
    const t0 = Date.now();
    await c.remove({ force: true });
    const removed = Date.now();
    c = await run("v2");
    const started = Date.now();
    await waitFor("the naive v2 to answer", async () => (await fetch(`http://127.0.0.1:${port}/`)).ok, 20_000, 20);
    const switchMs = Date.now() - t0;
    await new Promise((r) => setTimeout(r, TAIL_MS));
    const summary = await load.stop();
    const failed = summary.records.filter((r) => !r.ok);
    const refusedMs = failed.length ? failed[failed.length - 1].t - failed[0].t : 0;
    const rel = (x: number) => (x - load.startedAt) / 1000;
    ctx.log(`naive: ${summary.failed} of ${summary.total} requests failed over ${refusedMs} ms (${JSON.stringify(summary.failures)})`);
    return { summary, switchMs, refusedMs, markers: [{ t: rel(t0), label: "v1 removed" }, { t: rel(started), label: "v2 started" }, { t: rel(removed) + switchMs / 1000, label: "v2 answers" }] };
  } finally {
    await c.remove({ force: true }).catch(() => undefined);
  }
}

async function demoImage(prefix: string): Promise<string> {
  const images = await docker.listImages({ filters: { reference: [`${prefix}-backend`] } });
  const tag = images[0]?.RepoTags?.[0];
  if (!tag) throw new Error(`no ${prefix}-backend image: deploy the stack first`);
  return tag;
}

function switchover(kind: "nginx" | "haproxy", basePort: number): Scenario {
  return {
    name: `switchover-${kind}`,
    description: `blue-green switch v1 -> v2 through the ${kind} gateway under ${CONNECTIONS} keep-alive clients, vs the naive stop-and-start`,
    async run(ctx) {
      const s = e2eStack(kind, basePort);
      await s.cleanup();
      try {
        ctx.log(`deploying ${s.stack} (v1)`);
        await s.up({ "backend.version": "v1" });
        await waitFor("v1 to serve", async () => (await fetch(s.gatewayUrl)).ok, 30_000, 100);
        const load = startLoad({ url: s.gatewayUrl, connections: CONNECTIONS });
        await new Promise((r) => setTimeout(r, LEAD_MS));
        const t0 = Date.now();
        const { steps } = await s.up({ "backend.version": "v2" });
        const switchSeconds = (Date.now() - t0) / 1000;
        await new Promise((r) => setTimeout(r, TAIL_MS));
        const summary = await load.stop();
        const rel = (x: number) => (x - load.startedAt) / 1000;
        const when = (op: string, re: RegExp, at: "started" | "finished", pick: (xs: number[]) => number) =>
          rel(pick(steps.filter((x) => x.op === op && re.test(x.name)).map((x) => x[at])));
        const markers: Marker[] = [
          { t: rel(t0), label: "up v2" },
          { t: when("create", /app-v2-[0-9a-f]{6}-local-\d$/, "finished", (xs) => Math.max(...xs)), label: "v2 containers" },
          { t: when("create", /app-v2-.*-upstream$/, "finished", (xs) => Math.max(...xs)), label: "v2 acknowledged" },
          { t: when("delete", /app-v1-.*-upstream$/, "finished", (xs) => Math.max(...xs)), label: "v1 keys drained" },
          { t: when("delete", /app-v1-[0-9a-f]{6}-local-\d$/, "finished", (xs) => Math.max(...xs)), label: "v1 removed" },
        ];
        ctx.log(`switch: ${summary.failed} of ${summary.total} requests failed; update took ${switchSeconds.toFixed(1)} s`);
        const artefacts = [plot(ctx, `switchover-${kind}`, `switchover through ${kind}: v1 -> v2, ${CONNECTIONS} keep-alive clients`, summary, markers)];
        const v2Share = summary.records.slice(-100).filter((r) => r.body?.startsWith("v2 ")).length / Math.min(100, summary.records.length);

        const naive = await naiveSwitch(ctx, await demoImage(s.prefix));
        artefacts.push(plot(ctx, `switchover-${kind}-naive`, `naive switch (rm -f v1; run v2 on the same port), ${CONNECTIONS} keep-alive clients`, naive.summary, naive.markers));
        return {
          metrics: {
            failed_requests: summary.failed,
            total_requests: summary.total,
            switch_seconds: round(switchSeconds, 2),
            requests_per_second: round(summary.total / (summary.durationMs / 1000), 0),
            last_100_v2_share: round(v2Share, 2),
            naive_failed_requests: naive.summary.failed,
            naive_total_requests: naive.summary.total,
            naive_failure_window_ms: naive.refusedMs,
            naive_switch_ms: naive.switchMs,
          },
          series: { failures: summary.failures, naive_failures: naive.summary.failures, markers, naive_markers: naive.markers },
          artefacts,
        };
      } finally {
        await s.destroy().catch(() => undefined);
        await s.cleanup();
      }
    },
  };
}

const naiveOnly: Scenario = {
  name: "switchover-naive",
  description: `the naive switch alone: rm -f v1; run v2 on the same port, under ${CONNECTIONS} keep-alive clients`,
  async run(ctx) {
    // The demo image is built the way the program builds it, through a short-lived stack.
    const s = e2eStack("nginx", 23370);
    await s.cleanup();
    try {
      await s.up({ "backend.version": "v1" });
      const image = await demoImage(s.prefix);
      await s.destroy();
      const naive = await naiveSwitch(ctx, image);
      const artefacts = [plot(ctx, "switchover-naive", `naive switch (rm -f v1; run v2 on the same port), ${CONNECTIONS} keep-alive clients`, naive.summary, naive.markers)];
      return {
        metrics: { failed_requests: naive.summary.failed, total_requests: naive.summary.total, failure_window_ms: naive.refusedMs, switch_seconds: round(naive.switchMs / 1000, 2) },
        series: { failures: naive.summary.failures, markers: naive.markers },
        artefacts,
      };
    } finally {
      await s.cleanup();
    }
  },
};

export const scenarios: Scenario[] = [switchover("nginx", 24370), switchover("haproxy", 25370), naiveOnly];
