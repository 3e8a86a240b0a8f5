/**
 * multi-host-faults: the real program on the hosts target, deployed by the harness onto four test hosts
 * (test/multihost/testhosts: network namespaces with their own dockerd), then each host's link cut for 15 s
 * under 16 keep-alive clients through the gateway, and restored (test/multihost/faults.ts measures). Per
 * fault: failed/total requests (and how many of the failures were issued inside the health-check bound),
 * seconds until the host's endpoints left rotation, registry writes during the cut, seconds until healed.
 * The gateway host last: a single gateway is an outage by design (README "Deploying on your own machines").
 */
import { testHostsUp } from "../../test/multihost/hosts";
import { cutHost, HEALTH_BOUND_MS, type FaultResult } from "../../test/multihost/faults";
import { multiHostStack } from "../../test/multihost/stack";
import type { Scenario } from "../scenario";

const FAULTS = ["backend-1", "etcd", "gateway"] as const;

export const scenarios: Scenario[] = [{
  name: "multi-host-faults",
  description: "four test hosts (netns + own dockerd); each host's link cut 15 s under 16 keep-alive clients: failed/total, s until out of rotation, s until healed",
  async run({ log }) {
    const t = testHostsUp();
    const s = multiHostStack(t, "bench-multihost");
    const results: FaultResult[] = [];
    try {
      log("up on the four test hosts (first run builds the images on each host)");
      await s.up({ "backend.version": "v1" });
      for (const host of FAULTS) {
        log(`cutting ${host}`);
        const r = await cutHost(s, t, host, { cutMs: 15_000 });
        log(`${r.fault}: ${r.failed}/${r.total} failed (${r.failedInsideBound} issued inside the ${HEALTH_BOUND_MS / 1000} s bound, ${r.failedAfterBound} after), left rotation ${r.leftRotationSeconds ?? "-"} s, writes ${r.writes.ok}/${r.writes.total}, healed ${r.healedSeconds} s`);
        results.push(r);
      }
    } finally {
      await s.destroy().catch((e: Error) => log(`destroy failed: ${e.message}`));
      await s.cleanup();
      t.down();
    }
    const metrics: Record<string, number> = { health_bound_s: HEALTH_BOUND_MS / 1000 };
    for (const r of results) {
      const k = r.host.replace(/-/g, "_");
      Object.assign(metrics, {
        [`${k}_requests`]: r.total,
        [`${k}_failed`]: r.failed,
        [`${k}_failed_inside_bound`]: r.failedInsideBound,
        [`${k}_failed_after_bound`]: r.failedAfterBound,
        ...(r.leftRotationSeconds !== null ? { [`${k}_left_rotation_s`]: r.leftRotationSeconds } : {}),
        [`${k}_writes_ok`]: r.writes.ok,
        [`${k}_writes_total`]: r.writes.total,
        [`${k}_healed_s`]: r.healedSeconds,
        ...(r.reRegisteredSeconds !== null ? { [`${k}_reregistered_s`]: r.reRegisteredSeconds } : {}),
      });
    }
    return { metrics, series: { faults: results } };
  },
}];
