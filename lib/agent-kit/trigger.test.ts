import { describe, expect, it, vi } from "vitest";
import { ReconcileTrigger } from "./trigger";

describe("ReconcileTrigger", () => {
  it("folds requests that arrive during a run into one more run", async () => {
    const runs: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((r) => (release = r));
    const t = new ReconcileTrigger({
      run: async (reasons) => {
        runs.push(reasons);
        if (runs.length === 1) await first;
      },
      onError: () => undefined,
    });
    t.request("start");
    for (let i = 0; i < 30; i++) t.request(`docker:start`);
    t.request("periodic");
    release();
    await t.idle();
    expect(runs).toEqual([["start"], ["docker:start", "periodic"]]);
  });

  it("retries a failed run with growing backoff, keeping its reasons, and resets after success", async () => {
    vi.useFakeTimers();
    try {
      const attempts: number[] = [];
      const delays: number[] = [];
      let calls = 0;
      const t = new ReconcileTrigger({
        run: async () => {
          calls++;
          attempts.push(Date.now());
          if (calls <= 3) throw new Error("etcd unreachable");
        },
        onError: (_e, _attempt, retryInMs) => delays.push(retryInMs),
        initialBackoffMs: 100,
        maxBackoffMs: 250,
      });
      t.request("start");
      await vi.runAllTimersAsync();
      await t.idle();
      expect(calls).toBe(4);
      expect(delays).toEqual([100, 200, 250]);
      expect(t.consecutiveFailures).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does nothing after stop", async () => {
    const run = vi.fn(async () => undefined);
    const t = new ReconcileTrigger({ run, onError: () => undefined });
    t.stop();
    t.request("start");
    await t.idle();
    expect(run).not.toHaveBeenCalled();
  });
});
