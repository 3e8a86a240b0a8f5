/**
 * The etcd edge: read the services prefix, apply a plan with one guarded transaction per key (under the lease
 * of lib/agent-kit/lease.ts), and watch for deletions of this registrator's keys. Every write is conditional on the mod revision the
 * plan was made from, so a key someone else wrote in between is never overwritten or deleted.
 */
import type { Etcd3, Watcher } from "etcd3";
import { etcdCall, type EtcdConnection } from "../../lib/etcd/client";
import { servicesPrefix } from "../../lib/etcd/keys";
import type { Logger } from "../../lib/log";
import { isOwnedBy, type KeyState, type Plan } from "./planner";

export interface ApplyResult {
  put: number;
  deleted: number;
  /** Guarded writes that found the key changed since it was read: a new reconcile will look again. */
  raced: string[];
}

export class RegistryStore {
  /** Keys this registrator deleted itself, so the deletion watch does not trigger a needless reconcile. */
  private readonly ownDeletes = new Set<string>();

  constructor(private readonly client: Etcd3, private readonly conn: EtcdConnection, private readonly root: string) {}

  async read(): Promise<KeyState[]> {
    const prefix = servicesPrefix(this.root);
    const res = await etcdCall(this.conn, `get ${prefix}*`, () => this.client.getAll().prefix(prefix).exec());
    return res.kvs.map((kv) => ({
      key: kv.key.toString(),
      value: kv.value.toString(),
      lease: String(kv.lease ?? "0"),
      modRevision: String(kv.mod_revision),
    }));
  }

  async apply(plan: Plan, leaseId: string): Promise<ApplyResult> {
    const raced: string[] = [];
    let put = 0;
    let deleted = 0;
    await Promise.all([
      ...plan.puts.map(async (p) => {
        const res = await etcdCall(this.conn, `put ${p.key}`, () =>
          this.client.if(p.key, "Mod", "==", p.expectModRevision).then(this.client.put(p.key).value(p.value).lease(leaseId)).commit());
        if (res.succeeded) put++;
        else raced.push(p.key);
      }),
      ...plan.deletes.map(async (d) => {
        this.ownDeletes.add(d.key);
        try {
          const res = await etcdCall(this.conn, `delete ${d.key}`, () =>
            this.client.if(d.key, "Mod", "==", d.expectModRevision).then(this.client.delete().key(d.key)).commit());
          if (res.succeeded) deleted++;
          else raced.push(d.key);
        } finally {
          setTimeout(() => this.ownDeletes.delete(d.key), 5000).unref();
        }
      }),
    ]);
    return { put, deleted, raced };
  }

  /**
   * Calls `onChange(reason)` when a key this registrator owns is deleted or overwritten by someone else (an
   * operator's `etcdctl del`), and `onChange("etcd-reconnect")` when the watch reconnects after a break.
   */
  async watchOwnKeys(registratorId: string, onChange: (reason: string) => void, log: Logger): Promise<Watcher> {
    const watcher = await this.client.watch().prefix(servicesPrefix(this.root)).withPreviousKV().create();
    let disconnected = false;
    watcher.on("delete", (kv, prev) => {
      const key = kv.key.toString();
      if (this.ownDeletes.has(key)) return;
      if (prev && isOwnedBy(prev.value.toString(), registratorId)) onChange("key-deleted");
    });
    watcher.on("put", (kv, prev) => {
      if (prev && isOwnedBy(prev.value.toString(), registratorId) && !isOwnedBy(kv.value.toString(), registratorId)) onChange("key-overwritten");
    });
    watcher.on("disconnected", (err) => {
      disconnected = true;
      log.warn({ err: err.message }, "etcd watch disconnected; reconnecting");
    });
    watcher.on("connected", () => {
      if (!disconnected) return;
      disconnected = false;
      onChange("etcd-reconnect");
    });
    watcher.on("error", (err) => log.error({ err: err.message }, "etcd watch error"));
    return watcher;
  }
}
