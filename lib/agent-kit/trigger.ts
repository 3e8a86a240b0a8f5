/**
 * Runs one reconcile at a time, however many reasons to reconcile arrive: requests during a run are folded
 * into one more run after it (so a burst of 30 container starts costs two reconciles, not 30). A failed run
 * is retried with exponential backoff until one succeeds; new requests do not cut the backoff short, so a
 * dead Docker daemon or etcd is not hammered. Used by both agents (registrator and gateway).
 */
export interface TriggerOptions {
  /**
   * Does the work. Throwing schedules a retry (reported through onError); returning "again" schedules one
   * too, without an error: work is left that only time can finish (e.g. a proxy server still draining).
   */
  run(reasons: string[]): Promise<void | "again">;
  onError(err: unknown, attempt: number, retryInMs: number): void;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ReconcileTrigger {
  private pending = new Set<string>();
  private running = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  /** Consecutive runs that failed or asked to run again: the backoff exponent. */
  private backoffStep = 0;
  /** The pending retry follows an "again" (not a failure): a new request may run at once. */
  private retryIsDeferral = false;
  private stopped = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: TriggerOptions) {}

  /** Asks for a reconcile; `reason` shows in logs and metrics. */
  request(reason: string): void {
    if (this.stopped) return;
    this.pending.add(reason);
    if (this.retryTimer && this.retryIsDeferral) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
    }
    if (!this.running && !this.retryTimer) void this.loop();
  }

  /** Consecutive failed runs (0 after a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /** Resolves when nothing is running or queued (tests and shutdown). */
  idle(): Promise<void> {
    if (!this.running && this.pending.size === 0 && !this.retryTimer) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.pending.clear();
    this.settle();
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.pending.size > 0 && !this.stopped) {
      const reasons = [...this.pending];
      this.pending.clear();
      let again = false;
      let failed = false;
      try {
        again = (await this.opts.run(reasons)) === "again";
        this.failures = 0;
        if (!again) this.backoffStep = 0;
      } catch (err) {
        this.failures++;
        this.opts.onError(err, this.failures, this.delay(this.backoffStep));
        for (const r of reasons) this.pending.add(r);
        again = failed = true;
      }
      if (again) {
        // Back off before the next run; requests that arrived meanwhile are folded into it.
        const delay = this.delay(this.backoffStep++);
        this.retryIsDeferral = !failed;
        this.running = false;
        if (this.stopped) break;
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          if (this.pending.size === 0) this.pending.add("retry");
          void this.loop();
        }, delay);
        return;
      }
    }
    this.running = false;
    this.settle();
  }

  private delay(step: number): number {
    const initial = this.opts.initialBackoffMs ?? 100;
    return Math.min(this.opts.maxBackoffMs ?? 5000, initial * 2 ** step);
  }

  private settle(): void {
    if (this.running || this.pending.size > 0 || this.retryTimer) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }
}
