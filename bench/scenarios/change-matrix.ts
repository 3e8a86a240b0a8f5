/**
 * The change matrix (issue 12) as a benchmark: per gateway kind one stack deployed by the harness, one
 * continuous keep-alive load (16 clients) and one etcd writer (a put every 25 ms through the operator
 * endpoint), then one `up` per row (test/e2e/change-rows.ts, the rows the e2e tests assert). Per row:
 *   <kind>_<row>_failed, <kind>_<row>_total   requests failed / served from the row's up until 1 s after it
 *   <kind>_<row>_seconds                       the up's wall time
 *   <kind>_<row>_etcd_gap_ms                   the longest gap between successful etcd writes in that window
 * plus a timeline per kind (requests/s, failures, a marker per row).
 *  - change-matrix: the backend rows, the registrator row, the gateway rows (measured, see README).
 *  - change-matrix-etcd: the etcd rows (etcd.image, etcd.members 3 -> 5 -> 3) — the hooks for the
 *    membership work in components/etcd; until it lands they re-bootstrap the cluster.
 */
import fs from "node:fs";
import path from "node:path";
import { connectEtcd } from "../../lib/etcd/client";
import { AGENT_ROWS, BACKEND_ROWS, CUSTOM_IMAGE_TAG, ETCD_ROWS, GATEWAY_ROWS, type ChangeRow } from "../../test/e2e/change-rows";
import { docker, e2eStack } from "../../test/e2e/fixture";
import { waitFor } from "../../test/helpers/ports";
import { startLoad } from "../load";
import { perSecond, timelineSvg, type Marker } from "../plot";
import type { Scenario, ScenarioContext } from "../scenario";
import { longestGap, round } from "../stats";

const CONNECTIONS = 16;
const TAIL_MS = 1000;
const WRITE_EVERY_MS = 25;

/** "backend.env" -> "backend_env": metric-name safe. */
export const rowMetric = (kind: string, row: string) => `${kind}_${row.replace(/[^A-Za-z0-9]+/g, "_")}`;

/** A put every WRITE_EVERY_MS; the times of the successful ones. */
function startWriter(endpoint: string): { times: number[]; stop(): Promise<void> } {
  const etcd = connectEtcd({ endpoints: [endpoint], callTimeoutMs: 3000 });
  const times: number[] = [];
  let running = true;
  const loop = (async () => {
    let i = 0;
    while (running) {
      const t = Date.now();
      try {
        await etcd.put("/switchyard-bench/tick").value(String(i++));
        times.push(Date.now());
      } catch {
        /* a failed write is a gap */
      }
      await new Promise((r) => setTimeout(r, Math.max(0, WRITE_EVERY_MS - (Date.now() - t))));
    }
  })();
  return { times, async stop() { running = false; await loop; etcd.close(); } };
}

async function matrix(ctx: ScenarioContext, kind: "nginx" | "haproxy", basePort: number, rows: ChangeRow[], metrics: Record<string, number>): Promise<string> {
  const s = e2eStack(kind, basePort, { name: `bench-changes-${kind}` });
  await s.cleanup();
  try {
    let config: Record<string, string> = { "backend.version": "v1" };
    ctx.log(`deploying ${s.stack}`);
    await s.up(config);
    await waitFor("v1 to serve", async () => (await fetch(s.gatewayUrl)).ok, 60_000, 200);
    const load = startLoad({ url: s.gatewayUrl, connections: CONNECTIONS });
    const writer = startWriter(s.etcdEndpoint);
    const markers: Marker[] = [];
    const rel = (x: number) => (x - load.startedAt) / 1000;
    try {
      await new Promise((r) => setTimeout(r, 2000));
      for (const row of rows) {
        await row.before?.(s);
        config = { ...config, ...row.config };
        const t0 = Date.now();
        let error: string | undefined;
        await s.up(config).catch((e: Error) => { error = e.message; });
        const t1 = Date.now();
        await new Promise((r) => setTimeout(r, TAIL_MS));
        const window = load.records.filter((r) => r.t >= t0 - load.startedAt && r.t <= t1 + TAIL_MS - load.startedAt);
        const m = rowMetric(kind, row.name);
        metrics[`${m}_failed`] = window.filter((r) => !r.ok).length;
        metrics[`${m}_total`] = window.length;
        metrics[`${m}_seconds`] = round((t1 - t0) / 1000, 1);
        metrics[`${m}_etcd_gap_ms`] = longestGap([t0, ...writer.times, t1 + TAIL_MS], t0, t1 + TAIL_MS);
        markers.push({ t: rel(t0), label: row.name });
        ctx.log(`${kind} ${row.name}: ${metrics[`${m}_failed`]} of ${metrics[`${m}_total`]} failed, ${metrics[`${m}_seconds`]} s, etcd gap ${metrics[`${m}_etcd_gap_ms`]} ms${error ? `; up failed: ${error.slice(0, 200)}` : ""}`);
      }
    } finally {
      await writer.stop();
      const summary = await load.stop();
      const seconds = summary.durationMs / 1000;
      const file = `change-matrix-${kind}.svg`;
      fs.writeFileSync(path.join(ctx.resultsDir, file), timelineSvg({
        title: `change matrix through ${kind}: one up per row, ${CONNECTIONS} keep-alive clients`,
        yLabel: "requests per second",
        series: [
          { name: "served (2xx)", points: perSecond(summary.records.filter((r) => r.ok).map((r) => r.t), seconds), color: "steelblue" },
          { name: "failed", points: perSecond(summary.records.filter((r) => !r.ok).map((r) => r.t), seconds), color: "crimson", bars: true },
        ],
        markers,
      }));
      return file;
    }
  } finally {
    await s.destroy().catch(() => undefined);
    await s.cleanup();
    for (const tag of [CUSTOM_IMAGE_TAG(s), `${s.prefix}-base:2`, `${s.prefix}-etcd:2`]) await docker.getImage(tag).remove().catch(() => undefined);
  }
}

function scenario(name: string, description: string, rows: ChangeRow[]): Scenario {
  return {
    name,
    description,
    async run(ctx) {
      const metrics: Record<string, number> = {};
      const artefacts = [await matrix(ctx, "nginx", 21400, rows, metrics), await matrix(ctx, "haproxy", 21410, rows, metrics)];
      return { metrics, artefacts };
    },
  };
}

export const scenarios: Scenario[] = [
  scenario("change-matrix", `one up per change (backend, registrator, gateway rows) through both gateway kinds under ${CONNECTIONS} keep-alive clients: failed/total, seconds, longest etcd write gap`, [...BACKEND_ROWS, ...AGENT_ROWS, ...GATEWAY_ROWS]),
  scenario("change-matrix-etcd", "the etcd rows of the change matrix (etcd.image, etcd.members 3 -> 5 -> 3): hooks for the membership work", ETCD_ROWS),
];
