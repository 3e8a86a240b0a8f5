/**
 * Coalesces bursts of "something changed" signals: fires `quietMs` after the last signal, but never later than
 * `maxWaitMs` after the first one of a burst (so a steady stream of changes still gets applied).
 */
export class Debouncer {
  private first?: number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly quietMs: number, private readonly maxWaitMs: number, private readonly fire: () => void, private readonly now: () => number = Date.now) {}

  signal(): void {
    const now = this.now();
    if (this.first === undefined) this.first = now;
    if (this.timer) clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(this.quietMs, this.first + this.maxWaitMs - now));
    this.timer = setTimeout(() => {
      this.first = undefined;
      this.timer = undefined;
      this.fire();
    }, delay);
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.first = undefined;
  }
}
