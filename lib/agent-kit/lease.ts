/**
 * The lease keeper both agents use (lib/agent-kit): keep-alive, a new grant after the lease was lost, revoke
 * on stop.
 */
import type { Etcd3, Lease } from "etcd3";
import { EventEmitter } from "node:events";
import { etcdCall, type EtcdConnection } from "../etcd/client";

/**
 * One lease for an agent's whole life (the registrator's keys, the gateway's status key), kept alive by etcd3 (a keep-alive refreshes the lease only:
 * the keys are not rewritten, so consumers see no event). When etcd reports the lease lost (expired while
 * etcd was unreachable, or revoked), the next `ensure()` grants a new one and the caller re-puts every key.
 *
 * Events: 'lost' (err) — the keys attached to the old lease are gone or going;
 * 'recovered' — keep-alives succeed again after failing (etcd came back within the TTL).
 */
export class LeaseKeeper extends EventEmitter {
  private lease: Lease | undefined;
  private id: string | undefined;
  private granting: Promise<string> | undefined;
  private failing = false;

  constructor(private readonly client: Etcd3, private readonly conn: EtcdConnection, readonly ttlSeconds: number, private readonly onGranted?: (id: string) => void) {
    super();
  }

  get currentId(): string | undefined {
    return this.id;
  }

  get alive(): boolean {
    return this.id !== undefined && !this.failing;
  }

  /** The live lease id, granting a lease if there is none. Throws (explained) when etcd is unreachable. */
  ensure(): Promise<string> {
    if (this.id) return Promise.resolve(this.id);
    if (!this.granting) {
      this.granting = this.grant().finally(() => {
        this.granting = undefined;
      });
    }
    return this.granting;
  }

  private async grant(): Promise<string> {
    const lease = this.client.lease(this.ttlSeconds, { autoKeepAlive: true });
    let lostBeforeGrant: Error | undefined;
    lease.on("lost", (err) => {
      if (this.lease !== lease) {
        lostBeforeGrant = err;
        return;
      }
      this.lease = undefined;
      this.id = undefined;
      this.failing = false;
      this.emit("lost", err);
    });
    lease.on("keepaliveFailed", () => {
      if (this.lease === lease) this.failing = true;
    });
    lease.on("keepaliveSucceeded", () => {
      if (this.lease === lease && this.failing) {
        this.failing = false;
        this.emit("recovered");
      }
    });
    try {
      const id = await etcdCall(this.conn, `grant lease (TTL ${this.ttlSeconds} s)`, () => lease.grant());
      if (lostBeforeGrant) throw lostBeforeGrant;
      this.lease = lease;
      this.id = String(id);
      this.failing = false;
      this.onGranted?.(this.id);
      return this.id;
    } catch (err) {
      lease.release();
      throw err;
    }
  }

  /** Stops keep-alives without revoking: the keys outlive this process by at most the TTL. */
  release(): void {
    this.lease?.release();
    this.lease = undefined;
    this.id = undefined;
  }

  async revoke(): Promise<void> {
    const lease = this.lease;
    this.lease = undefined;
    this.id = undefined;
    await lease?.revoke();
  }
}
