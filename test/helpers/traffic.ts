/**
 * What a load run must contain before "0 failed requests" means anything: enough requests, and requests that
 * completed before, during and after the change they were meant to watch. Without these checks an empty or
 * stalled run passes every zero-failure assertion.
 */
import type { RequestRecord } from "../../bench/load";

export interface TrafficWindow {
  /** Epoch ms: the change (an `up`, a kill) began and ended. */
  from: number;
  to: number;
}

/** Why `records` (t = ms since `startedAt`) do not cover `window`; empty when they do. */
export function coverageProblems(records: RequestRecord[], startedAt: number, window: TrafficWindow, minTotal: number): string[] {
  const from = window.from - startedAt;
  const to = window.to - startedAt;
  const before = records.filter((r) => r.t <= from).length;
  const during = records.filter((r) => r.t > from && r.t <= to).length;
  const after = records.filter((r) => r.t > to).length;
  const problems: string[] = [];
  if (records.length < minTotal) problems.push(`only ${records.length} requests, at least ${minTotal} needed`);
  if (before === 0) problems.push("no request completed before the change began");
  if (during === 0) problems.push("no request completed while the change ran");
  if (after === 0) problems.push("no request completed after the change ended");
  return problems;
}

/** Resolves once `records` has grown by `count` (the load is flowing), without a fixed sleep. */
export async function moreRequests(records: RequestRecord[], count: number, timeoutMs = 30_000): Promise<void> {
  const target = records.length + count;
  const deadline = Date.now() + timeoutMs;
  while (records.length < target) {
    if (Date.now() > deadline) throw new Error(`the load completed only ${records.length} of ${target} requests within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
