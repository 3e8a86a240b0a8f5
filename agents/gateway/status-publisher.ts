/**
 * Writes the gateway's status key under a lease of its own (lib/etcd/status.ts protocol). Always writes the
 * latest status; retries until etcd takes it; grants a new lease when the old one is lost (etcd down longer
 * than the TTL), so the gateway re-appears among the live gateways as soon as etcd is back.
 */
import type { Etcd3, Lease } from "etcd3";
import type { GatewayStatus } from "../../lib/etcd/status";
import type { Logger } from "../../lib/log";
import type { Metrics } from "./metrics";
import type { ProxyView } from "./view";

export function buildStatus(a: {
  id: string;
  kind: string;
  appliedRevision: number;
  appliedAt: Date;
  view: ProxyView | undefined;
  since: (id: string, addr: string) => string | undefined;
  lastError: GatewayStatus["lastError"];
}): GatewayStatus {
  const endpoints: GatewayStatus["endpoints"] = {};
  for (const s of a.view?.services ?? []) {
    for (const e of s.endpoints) {
      const since = e.draining ? undefined : a.since(e.id, e.addr);
      endpoints[e.id] = { addr: e.addr, health: e.health, ...(e.reason ? { reason: e.reason } : {}), ...(since ? { since } : {}) };
    }
  }
  return { protocol: 1, id: a.id, kind: a.kind, appliedRevision: a.appliedRevision, appliedAt: a.appliedAt.toISOString(), endpoints, lastError: a.lastError };
}

export class StatusPublisher {
  private lease?: Lease;
  private latest?: string;
  private written?: string;
  private busy = false;
  private retry?: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly etcd: Etcd3, private readonly key: string, private readonly ttlSeconds: number, private readonly log: Logger, private readonly metrics: Metrics) {}

  publish(status: GatewayStatus): void {
    this.latest = JSON.stringify(status);
    void this.flush();
  }

  private newLease(): Lease {
    const lease = this.etcd.lease(this.ttlSeconds, { autoKeepAlive: true });
    lease.on("lost", (err) => {
      if (this.lease !== lease) return;
      this.log.warn({ err: String(err?.message ?? err) }, "status lease lost; will write the status again under a new lease");
      this.lease = undefined;
      this.written = undefined;
      void this.flush();
    });
    return lease;
  }

  private async flush(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      while (!this.stopped && this.latest !== undefined && this.latest !== this.written) {
        const value = this.latest;
        if (!this.lease) this.lease = this.newLease();
        try {
          await this.lease.put(this.key).value(value).exec();
          this.written = value;
        } catch (e) {
          this.metrics.failures.inc({ stage: "status" });
          this.log.warn({ err: (e as Error).message }, "cannot write status key; retrying in 1 s");
          // A put under a lease that etcd no longer knows fails forever: start over with a new lease.
          if (/lease not found|requested lease not found/i.test(String((e as Error).message))) this.lease = undefined;
          if (!this.retry) this.retry = setTimeout(() => {
            this.retry = undefined;
            void this.flush();
          }, 1000);
          return;
        }
      }
    } finally {
      this.busy = false;
    }
  }

  /** Revokes the lease, which deletes the status key: this gateway leaves the set of live gateways. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    try {
      await this.lease?.revoke();
    } catch {
      /* etcd unreachable: the key expires with the lease */
    }
  }
}
