/**
 * The etcd adapter (confd's "backend"): a consistent read of the services prefix, kept current by the watch.
 * A change costs one watch event, not a re-list of the whole root (at 10,000 endpoints a re-list per change was
 * most of a change's cost): the events are applied to a mirror of the prefix, and `list()` answers from it.
 * It re-lists from etcd on start, after the watch reconnects, fails or is compacted, and whenever the agent
 * asks for a fresh read (its periodic safety resync), so a lost event cannot leave it wrong for long.
 * The agent stays level-triggered: it rebuilds its desired state from the whole (mirrored) listing.
 * The agent sees it through the small ServicesStore interface, so its tests drive it with a fake store.
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

/** One change the watch delivered. */
export interface WatchChange {
  type: "put" | "delete";
  key: string;
  value: string;
  /** The revision of the change (for a delete, the revision that deleted it). */
  revision: number;
}

export interface WatchCallbacks {
  /** Changes up to `revision` arrived. */
  changed(revision: number, changes: WatchChange[]): void;
  /** The watch (re)connected or failed: re-list to catch up on anything missed. */
  resync(reason: string): void;
}

/** What the agent reads desired state from: a consistent list, and change signals after a revision. */
export interface ServicesStore {
  /** The prefix at its latest known revision; `fresh` forces a read from etcd rather than from a mirror. */
  list(opts?: { fresh?: boolean }): Promise<{ revision: number; kvs: KeyValue[] }>;
  /** Starts signalling changes after `revision` (no-op while a watch runs). */
  watch(revision: number, cb: WatchCallbacks): void;
  close(): Promise<void>;
}

/** The services prefix of an etcd, as a ServicesStore mirrored by its watch. */
export class EtcdServicesStore implements ServicesStore {
  private prefixWatch?: PrefixWatch;
  /** The prefix as of `mirrorRevision`; undefined until a list, and again after the watch lost its way. */
  private mirror?: Map<string, string>;
  private mirrorRevision = 0;

  constructor(private readonly etcd: Etcd3, private readonly prefix: string, private readonly log: Logger) {}

  async list(opts: { fresh?: boolean } = {}) {
    if (this.mirror && !opts.fresh && this.prefixWatch?.active) {
      return { revision: this.mirrorRevision, kvs: [...this.mirror].map(([key, value]) => ({ key, value })) };
    }
    const listed = await listPrefix(this.etcd, this.prefix);
    this.mirror = new Map(listed.kvs.map((kv) => [kv.key, kv.value]));
    this.mirrorRevision = listed.revision;
    return listed;
  }

  watch(revision: number, cb: WatchCallbacks): void {
    this.prefixWatch ??= new PrefixWatch(this.etcd, this.prefix, {
      changed: (rev, changes) => {
        this.apply(changes, rev);
        cb.changed(rev, changes);
      },
      resync: (reason) => {
        // Events may have been missed: the next list reads etcd again.
        this.mirror = undefined;
        cb.resync(reason);
      },
    }, this.log);
    this.prefixWatch.start(revision);
  }

  /** Applies watch events newer than the mirror (a fresh list may already hold what is still in flight). */
  private apply(changes: WatchChange[], revision: number): void {
    if (!this.mirror) return;
    for (const c of changes) {
      if (c.revision <= this.mirrorRevision) continue;
      if (c.type === "put") this.mirror.set(c.key, c.value);
      else this.mirror.delete(c.key);
    }
    this.mirrorRevision = Math.max(this.mirrorRevision, revision);
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
      if (res.events.length === 0) return;
      this.cb.changed(Number(res.header.revision), res.events.map((e) => ({
        type: e.type === "Delete" ? "delete" : "put",
        key: e.kv.key.toString(),
        value: e.kv.value.toString(),
        revision: Number(e.kv.mod_revision),
      })));
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
