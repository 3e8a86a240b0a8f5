/**
 * The etcd adapter (confd's "backend"): one consistent read of the services prefix, and a watch whose only job
 * is to say "something changed" — the agent then re-reads everything (level-triggered), so lost, duplicated
 * or compacted events cannot leave it wrong. The agent sees it through the small ServicesStore interface,
 * so its tests drive it with a fake store.
 */
import type { Etcd3, Watcher } from "etcd3";
import type { Logger } from "../../lib/log";
import type { KeyValue } from "./desired";

export async function listPrefix(etcd: Etcd3, prefix: string): Promise<{ revision: number; kvs: KeyValue[] }> {
  const res = await etcd.getAll().prefix(prefix).exec();
  return {
    revision: Number(res.header.revision),
    kvs: res.kvs.map((kv) => ({ key: kv.key.toString(), value: kv.value.toString() })),
  };
}

export interface WatchCallbacks {
  /** A change at `revision` arrived. */
  changed(revision: number): void;
  /** The watch (re)connected or failed: re-list to catch up on anything missed. */
  resync(reason: string): void;
}

/** What the agent reads desired state from: a consistent list, and change signals after a revision. */
export interface ServicesStore {
  list(): Promise<{ revision: number; kvs: KeyValue[] }>;
  /** Starts signalling changes after `revision` (no-op while a watch runs). */
  watch(revision: number, cb: WatchCallbacks): void;
  close(): Promise<void>;
}

/** The services prefix of an etcd, as a ServicesStore. */
export class EtcdServicesStore implements ServicesStore {
  private prefixWatch?: PrefixWatch;

  constructor(private readonly etcd: Etcd3, private readonly prefix: string, private readonly log: Logger) {}

  list() {
    return listPrefix(this.etcd, this.prefix);
  }

  watch(revision: number, cb: WatchCallbacks): void {
    this.prefixWatch ??= new PrefixWatch(this.etcd, this.prefix, cb, this.log);
    this.prefixWatch.start(revision);
  }

  async close(): Promise<void> {
    await this.prefixWatch?.close();
  }
}

/** Keeps one watch on `prefix` alive, recreating it from a fresh revision after errors (e.g. compaction). */
export class PrefixWatch {
  private watcher?: Watcher;
  private closed = false;
  private connectedOnce = false;

  constructor(private readonly etcd: Etcd3, private readonly prefix: string, private readonly cb: WatchCallbacks, private readonly log: Logger) {}

  get active(): boolean {
    return this.watcher !== undefined;
  }

  /** Starts watching after `revision` (the revision of the read the agent applied). */
  start(revision: number): void {
    if (this.closed || this.watcher) return;
    const w = this.etcd.watch().prefix(this.prefix).startRevision(String(revision + 1)).watcher();
    this.watcher = w;
    this.connectedOnce = false;
    w.on("data", (res) => {
      if (res.events.length > 0) this.cb.changed(Number(res.header.revision));
    });
    w.on("connected", () => {
      // The first connect is the one we asked for; later ones follow a reconnect, after which we re-list.
      if (this.connectedOnce) this.cb.resync("watch reconnected");
      this.connectedOnce = true;
    });
    w.on("disconnected", (err) => {
      this.log.warn({ err: String(err?.message ?? err) }, "etcd watch disconnected; keeping the last applied config");
      // Re-list at once: if etcd is really gone this starts the retry loop (and marks etcd down); the read
      // that first succeeds catches up, whether or not the watch has reconnected by then.
      this.cb.resync("watch disconnected");
    });
    w.on("error", (err) => {
      this.log.warn({ err: String(err?.message ?? err) }, "etcd watch failed; re-listing and watching again");
      if (this.watcher === w) this.watcher = undefined;
      void w.cancel().catch(() => undefined);
      this.cb.resync("watch error");
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.watcher?.cancel().catch(() => undefined);
  }
}
