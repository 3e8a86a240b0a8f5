import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { Debouncer } from "./debounce";

describe("Debouncer", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fires once after the quiet period of a burst", () => {
    const fire = vi.fn();
    const d = new Debouncer(50, 250, fire, () => Date.now());
    d.signal();
    vi.advanceTimersByTime(30);
    d.signal();
    vi.advanceTimersByTime(49);
    expect(fire).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(fire).toHaveBeenCalledTimes(1);
  });

  it("fires at the max wait even when changes keep coming", () => {
    const fire = vi.fn();
    const d = new Debouncer(50, 250, fire, () => Date.now());
    for (let i = 0; i < 10; i++) {
      d.signal();
      vi.advanceTimersByTime(40);
    }
    expect(fire).toHaveBeenCalledTimes(1);
    expect(d.pending).toBe(true);
  });
});
