/**
 * A restarting gateway agent never takes a serving endpoint out of rotation: the agent is SIGKILLed 10 times in
 * a row per kind under 16 keep-alive clients, with membership changes in between (the bench scenario
 * `agent-restart` runs the same rig). Every request counts.
 */
import { describe, expect, it } from "vitest";
import { runAgentRestarts } from "../../bench/scenarios/agent-restart";

describe("gateway agent restarts under keep-alive load", () => {
  for (const kind of ["nginx", "haproxy"] as const) {
    it(`${kind}: 10 SIGKILLed agents, membership changes in between, 0 failed requests`, async () => {
      const r = await runAgentRestarts(kind, 10);
      expect(r.total).toBeGreaterThan(1000);
      expect(r.failed, r.diagnostics).toBe(0);
    }, 300_000);
  }
});
