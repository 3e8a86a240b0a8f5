/**
 * upstream: latency of the Upstream provider's ungated create, update and delete against the real 3-member
 * etcd behind the real proxy (test/helpers/etcd-cluster.ts), each measured over OPS sequential operations.
 * The provider is driven as Pulumi's host drives it: check, then create/update/delete on the module-level
 * provider object (whose methods run the bundled runtime). Each operation opens and closes its own etcd client,
 * as the provider does, so connection setup is included.
 */
import { startEtcdCluster } from "../../test/helpers/etcd-cluster";
import type { Scenario, ScenarioResult } from "../scenario";
import { percentile, round } from "../stats";

const OPS = 200;

async function timed<T>(samples: number[], fn: () => Promise<T>): Promise<T> {
  const t = process.hrtime.bigint();
  const r = await fn();
  samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  return r;
}

const upstreamLatency: Scenario = {
  name: "upstream",
  description: `Upstream provider ungated create/update/delete latency, ${OPS} ops each, real 3-member etcd via the proxy`,
  async run(ctx): Promise<ScenarioResult> {
    const { upstreamProvider: provider } = await import("../../provider/upstream/provider");
    const cluster = await startEtcdCluster({ size: 3 });
    try {
      const connection = cluster.connection({ callTimeoutMs: 5000 });
      const root = `/bench-upstream-${Date.now()}`;
      const inputs = async (i: number, value: string) => {
        const r = await provider.check!({}, { root, service: "bench", endpoint: `e-${i}`, value, connection, gate: { enabled: false } });
        if (r.failures?.length) throw new Error(JSON.stringify(r.failures));
        return r.inputs;
      };
      // Warm-up (JIT, the runtime bundle, the gRPC channel code paths); not measured.
      for (let i = 0; i < 10; i++) {
        const c = await provider.create(await inputs(-1 - i, "127.0.0.1:1"));
        await provider.delete!(c.id, c.outs);
      }
      const create: number[] = [];
      const update: number[] = [];
      const del: number[] = [];
      const outs: { id: string; outs: Record<string, unknown> }[] = [];
      type Created = { id: string; outs: Record<string, unknown> };
      for (let i = 0; i < OPS; i++) {
        const ins = await inputs(i, `127.0.0.1:${10000 + i}`);
        outs.push((await timed(create, () => provider.create(ins))) as Created);
      }
      ctx.log(`create: ${OPS} done`);
      for (let i = 0; i < OPS; i++) {
        const news = await inputs(i, JSON.stringify({ addr: `127.0.0.1:${20000 + i}`, version: "v2" }));
        const r = await timed(update, () => provider.update!(outs[i].id, outs[i].outs, news));
        outs[i] = { id: outs[i].id, outs: r.outs };
      }
      ctx.log(`update: ${OPS} done`);
      for (let i = 0; i < OPS; i++) await timed(del, () => provider.delete!(outs[i].id, outs[i].outs));
      ctx.log(`delete: ${OPS} done`);
      const m = (name: string, s: number[]) => ({ [`${name}_ms_p50`]: round(percentile(s, 50), 2), [`${name}_ms_p99`]: round(percentile(s, 99), 2) });
      return {
        metrics: { ...m("create", create), ...m("update", update), ...m("delete", del), ops_each: OPS },
        series: { create_ms: create.map((x) => round(x, 2)), update_ms: update.map((x) => round(x, 2)), delete_ms: del.map((x) => round(x, 2)) },
      };
    } finally {
      await cluster.stop();
    }
  },
};

export const scenarios: Scenario[] = [upstreamLatency];
