/**
 * Writes the gateway's status under a lease of its own (lib/etcd/status.ts protocol; the lease keeper of
 * lib/agent-kit). Always writes the latest status, and only the keys that changed since the last write (one
 * endpoint's report and the summary for a single change, whatever the size of the registry); retries until
 * etcd takes it; a new lease — and every key again — when the old one is lost (etcd down longer than the
 * TTL), so the gateway re-appears among the live gateways once etcd is back.
 */
import type { Etcd3 } from "etcd3";
import { LeaseKeeper } from "../../lib/agent-kit/lease";
import { ReconcileTrigger } from "../../lib/agent-kit/trigger";
import type { EtcdConnection } from "../../lib/etcd/client";
import { STATUS_PROTOCOL_VERSION, statusChanges, statusEntries, type GatewayStatus } from "../../lib/etcd/status";
import { writeStatusChanges } from "../../lib/etcd/status-io";
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
  return { protocol: STATUS_PROTOCOL_VERSION, id: a.id, kind: a.kind, appliedRevision: a.appliedRevision, appliedAt: a.appliedAt.toISOString(), endpoints, lastError: a.lastError };
}

/** Where the agent reports its status (the agent's tests use a fake one). */
export interface StatusSink {
  publish(status: GatewayStatus): void;
  stop(): Promise<void>;
}

export class StatusPublisher implements StatusSink {
  private readonly lease: LeaseKeeper;
  /** One write at a time, always of the latest status; a failed write is retried with backoff. */
  private readonly trigger: ReconcileTrigger;
  private latest?: GatewayStatus;
  /** What etcd holds under our lease, key by key (empty: nothing, e.g. after the lease was lost). */
  private written = new Map<string, string>();

  constructor(private readonly etcd: Etcd3, conn: EtcdConnection, private readonly root: string, ttlSeconds: number, private readonly log: Logger, private readonly metrics: Metrics) {
    this.lease = new LeaseKeeper(etcd, conn, ttlSeconds);
    this.lease.on("lost", (err: Error) => {
      this.log.warn({ err: String(err?.message ?? err) }, "status lease lost; will write the status again under a new lease");
      this.written = new Map();
      this.trigger.request("lease-lost");
    });
    this.trigger = new ReconcileTrigger({
      run: () => this.write(),
      onError: (e, attempt, retryInMs) => {
        this.metrics.failures.inc({ stage: "status" });
        if (attempt === 1 || attempt % 10 === 0) this.log.warn({ err: (e as Error).message, attempt, retryInMs }, "cannot write status key; retrying");
      },
      initialBackoffMs: 250,
      maxBackoffMs: 2000,
    });
  }

  publish(status: GatewayStatus): void {
    this.latest = status;
    this.trigger.request("status");
  }

  private async write(): Promise<void> {
    if (!this.latest) return;
    const next = statusEntries(this.root, this.latest);
    const changes = statusChanges(this.written, next);
    if (changes.puts.length === 0 && changes.deletes.length === 0) return;
    try {
      const leaseId = await this.lease.ensure();
      await writeStatusChanges(this.etcd, changes, leaseId);
      this.written = next;
      this.metrics.statusWrites.inc();
      this.metrics.statusBytes.inc(changes.bytes);
    } catch (e) {
      // Some chunks may have landed: next time put every key again and delete every key that may be left.
      this.written = new Map([...this.written.keys(), ...next.keys()].map((k) => [k, "\u0000unknown"]));
      // A put under a lease that etcd no longer knows fails forever: start over with a new lease.
      if (/lease not found|requested lease not found/i.test(String((e as Error).message))) this.lease.release();
      throw e;
    }
  }

  /** Revokes the lease, which deletes the status key: this gateway leaves the set of live gateways. */
  async stop(): Promise<void> {
    this.trigger.stop();
    try {
      await this.lease.revoke();
    } catch {
      /* etcd unreachable: the key expires with the lease */
    }
  }
}
