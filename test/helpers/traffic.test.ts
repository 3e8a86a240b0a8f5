import { describe, expect, it } from "vitest";
import type { RequestRecord } from "../../bench/load";
import { coverageProblems } from "./traffic";

const at = (...ts: number[]): RequestRecord[] => ts.map((t) => ({ t, ok: true, status: 200 }));

describe("coverageProblems", () => {
  const window = { from: 1_000 + 100, to: 1_000 + 200 };
  it("accepts a run with requests before, during and after the change", () => {
    expect(coverageProblems(at(50, 150, 250), 1_000, window, 3)).toEqual([]);
  });
  it("refuses an empty run, and one that misses a part of the window", () => {
    expect(coverageProblems([], 1_000, window, 1)).toEqual([
      "only 0 requests, at least 1 needed",
      "no request completed before the change began",
      "no request completed while the change ran",
      "no request completed after the change ended",
    ]);
    expect(coverageProblems(at(50, 60, 250), 1_000, window, 3)).toEqual(["no request completed while the change ran"]);
    expect(coverageProblems(at(150, 250), 1_000, window, 3)).toEqual(["only 2 requests, at least 3 needed", "no request completed before the change began"]);
    expect(coverageProblems(at(50, 150), 1_000, window, 1)).toEqual(["no request completed after the change ended"]);
  });
});
