import { describe, expect, it } from "vitest";
import { longestGap, percentile } from "./stats";

describe("bench stats", () => {
  it("percentile uses the nearest-rank method", () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile([5, 1, 3], 100)).toBe(5);
    expect(percentile([], 50)).toBeNaN();
  });
  it("longestGap finds the largest distance between sorted samples in a window", () => {
    expect(longestGap([0, 10, 20, 520, 530])).toBe(500);
    expect(longestGap([0, 10, 20, 520, 530], 500)).toBe(10);
  });
});
