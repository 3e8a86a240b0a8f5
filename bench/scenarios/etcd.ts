/**
 * etcd-failover: what the registry's clients see when members die, on the real 3-member cluster behind the
 * real proxy (test/helpers/etcd-cluster.ts, the components' own flags).
 *  - leader_kill_write_gap_ms: writes every 10 ms through the proxy; SIGKILL the leader; the longest gap
 *    between successful writes around the kill (median of the trials; the max is reported too).
 *  - quorum_loss_error_ms: kill two members; time until a write fails with an explained error. Bounded by
 *    the client deadline (etcd.callTimeoutMs), not by etcd's own retries.
 */
import type { Etcd3 } from "etcd3";
import { connectEtcd, explainEtcdError } from "../../lib/etcd/client";
import { startEtcdCluster, type TestCluster } from "../../test/helpers/etcd-cluster";
import type { Scenario } from "../scenario";
import { longestGap, median, round } from "../stats";

const TRIALS = 3;
const CALL_TIMEOUT_MS = 1000;

async function leaderIndex(cluster: TestCluster): Promise<number> {
  for (let i = 0; i < cluster.memberEndpoints.length; i++) {
    if (!cluster.running(i)) continue;
    const c = connectEtcd({ endpoints: [cluster.memberEndpoints[i]], callTimeoutMs: 1000 });
    try {
      const s = await c.maintenance.status();
      if (s.leader === s.header.member_id) return i;
    } catch {
      /* try the next member */
    } finally {
      c.close();
    }
  }
  throw new Error("no member reports itself as leader");
}

/** Writes every `intervalMs` until stopped; returns the completion times of successful writes. */
function writeLoop(client: Etcd3, intervalMs: number) {
  const ok: number[] = [];
  let failures = 0;
  let running = true;
  const done = (async () => {
    let i = 0;
    while (running) {
      const t = Date.now();
      try {
        await client.put(`/bench/failover/${i++ % 100}`).value(String(t));
        ok.push(Date.now());
      } catch {
        failures++;
      }
      const wait = intervalMs - (Date.now() - t);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  })();
  return { ok, failures: () => failures, stop: async () => { running = false; await done; } };
}

const etcdFailover: Scenario = {
  name: "etcd-failover",
  description: "leader SIGKILL write gap and quorum-loss error time on the real 3-member cluster behind the proxy",
  async run(ctx) {
    const cluster = await startEtcdCluster({ size: 3 });
    const conn = cluster.connection({ callTimeoutMs: CALL_TIMEOUT_MS });
    const client = connectEtcd(conn);
    try {
      const gaps: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        const leader = await leaderIndex(cluster);
        const loop = writeLoop(client, 10);
        await new Promise((r) => setTimeout(r, 1000));
        const killedAt = Date.now();
        await cluster.kill(leader);
        await new Promise((r) => setTimeout(r, 4000));
        await loop.stop();
        const gap = longestGap(loop.ok, killedAt - 1000);
        gaps.push(gap);
        ctx.log(`trial ${trial + 1}: killed leader etcd-${leader}; longest write gap ${gap} ms; ${loop.failures()} failed writes`);
        await cluster.restart(leader);
      }

      // Quorum loss: kill two members, then time how long until a write fails with an explained error.
      const victims = [0, 1, 2].filter((i) => cluster.running(i)).slice(0, 2);
      await Promise.all(victims.map((i) => cluster.kill(i)));
      const lostAt = Date.now();
      let message = "";
      for (;;) {
        try {
          await client.put("/bench/failover/quorum").value("x");
        } catch (e) {
          message = explainEtcdError(e, conn, "put").message;
          break;
        }
        if (Date.now() - lostAt > 30_000) throw new Error("writes kept succeeding 30 s after two of three members died");
      }
      const quorumLossMs = Date.now() - lostAt;
      ctx.log(`quorum loss: first write error after ${quorumLossMs} ms: ${message.slice(0, 120)}...`);
      return {
        metrics: {
          leader_kill_write_gap_ms: median(gaps),
          leader_kill_write_gap_ms_max: Math.max(...gaps),
          quorum_loss_error_ms: round(quorumLossMs, 0),
          client_deadline_ms: CALL_TIMEOUT_MS,
          election_timeout_ms: 1000,
          trials: TRIALS,
        },
      };
    } finally {
      client.close();
      await cluster.stop();
    }
  },
};

export const scenarios: Scenario[] = [etcdFailover];
