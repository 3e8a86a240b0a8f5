/**
 * The etcd I/O of every provider that owns one etcd key (Upstream, Route): create, read, update, delete,
 * each with the ownership rules of spec.ts and the gate of lib/etcd/gate.ts. What differs per kind — what the
 * gate waits for after a put and after a delete — comes in a KeyKind. The providers keep no resource state
 * between calls; only an etcd client is reused while calls keep coming (withClient).
 *
 * Writes are single transactions so that ownership checks and writes cannot interleave with other writers:
 *   create  : if createRevision == 0 then put, else get
 *   update  : if value == <last deployed> then put, else get
 *   delete  : if value == <ours> then delete, else get
 *   undo    : if modRevision == <our write> then put <previous> / delete
 */
import type { Etcd3, IKeyValue } from "etcd3";
import { connectEtcd, etcdCallResilient, type EtcdConnection } from "../../lib/etcd/client";
import { GateFailedError, waitForGate, type GateLog, type GateResult } from "../../lib/etcd/gate";
import type { GateTarget } from "../../lib/etcd/status";
import { conflictMessage, decideExisting, foreignDeleteMessage, foreignUpdateMessage, type KeyOwner, type OwnedKeyProps } from "./spec";

export interface OperationOptions {
  log?: GateLog;
}

/** What one kind of owned key adds to the shared mechanism. */
export interface KeyKind<P extends OwnedKeyProps> {
  owner: KeyOwner;
  /** What the gate waits for after a put at `revision`. */
  putTarget(p: P, revision: number): GateTarget;
  /** What the gate waits for after a delete at `revision` (0: the key was already gone). */
  deleteTarget(p: P, revision: number): GateTarget;
  /** The error when the gateways did not confirm a delete in time. */
  deleteGateFailure(p: P, deleted: boolean, reason: string): string;
}

/** What the last gate saw, as kept in the state; absent when the gate is disabled. */
export interface GateSummary {
  gateways: string[];
  noGateways: boolean;
  waitedMs: number;
}

/**
 * One client per connection while operations keep coming, closed after IDLE_CLIENT_MS without one: Pulumi runs
 * many creates and deletes in one provider process, and a fresh gRPC channel per call was most of an ungated
 * create's tail latency. The idle timer is unref'd, so it never keeps a process alive.
 */
const IDLE_CLIENT_MS = 1000;
const clients = new Map<string, { client: Etcd3; users: number; idle?: NodeJS.Timeout }>();

async function withClient<T>(c: EtcdConnection, fn: (client: Etcd3) => Promise<T>): Promise<T> {
  const key = JSON.stringify(c);
  let entry = clients.get(key);
  if (!entry) {
    entry = { client: connectEtcd(c), users: 0 };
    clients.set(key, entry);
  }
  const e = entry;
  if (e.idle) clearTimeout(e.idle);
  e.idle = undefined;
  e.users++;
  try {
    return await fn(e.client);
  } finally {
    if (--e.users === 0) {
      e.idle = setTimeout(() => {
        if (e.users > 0 || clients.get(key) !== e) return;
        clients.delete(key);
        e.client.close();
      }, IDLE_CLIENT_MS);
      e.idle.unref();
    }
  }
}

const kvOf = (kvs: IKeyValue[] | undefined) => {
  const kv = kvs?.[0];
  return kv ? { value: kv.value.toString(), modRevision: Number(kv.mod_revision) } : undefined;
};

/**
 * Props from Pulumi state for read/delete. Not re-validated like inputs: a refresh may have stored a value
 * that no longer parses (a bad hand edit), and delete must still work on it.
 */
export function stateProps<P extends OwnedKeyProps>(props: Record<string, unknown>, kind: string): P {
  const p = props as unknown as P;
  if (typeof p.key !== "string" || !p.connection || !Array.isArray(p.connection.endpoints)) {
    throw new Error(`${kind} state lacks key or connection; was it created by this provider?`);
  }
  return { ...p, gate: p.gate ?? { enabled: false, timeoutMs: 1 } };
}

async function runGate(client: Etcd3, p: OwnedKeyProps, target: GateTarget, o: OperationOptions): Promise<GateResult | undefined> {
  if (!p.gate.enabled) return undefined;
  return waitForGate(client, p.root, target, { timeoutMs: p.gate.timeoutMs, unhealthyGraceMs: p.gate.unhealthyGraceMs, pollMs: p.gate.pollMs, log: o.log });
}

const summarize = (g: GateResult | undefined): GateSummary | undefined => (g ? { gateways: g.gateways, noGateways: g.noGateways, waitedMs: g.waitedMs } : undefined);

/**
 * Puts `previous` back (or deletes the key when there was none), but only if the key still holds our write
 * (modRevision unchanged): a rollback must never clobber someone who wrote after us. Returns what it did.
 */
async function undoWrite(client: Etcd3, p: OwnedKeyProps, ourRevision: number, previous: string | undefined): Promise<string> {
  const what = previous === undefined ? `delete ${p.key} (rollback)` : `restore ${p.key} (rollback)`;
  try {
    const res = await etcdCallResilient(p.connection, what, () =>
      client
        .if(p.key, "Mod", "==", ourRevision)
        .then(previous === undefined ? client.delete().key(p.key) : client.put(p.key).value(previous))
        .commit(),
    );
    if (!res.succeeded) return `left ${p.key} alone: it was changed by someone else after our write`;
    return previous === undefined ? `removed ${p.key} again` : `restored ${p.key} to '${previous}'`;
  } catch (err) {
    return `could NOT undo the write (${(err as Error).message}); fix by hand`;
  }
}

function gateFailure(p: OwnedKeyProps, verb: string, err: unknown, undone: string): Error {
  if (err instanceof GateFailedError) {
    return new Error(`${verb} ${p.key} = '${p.value}' was not confirmed by the gateways, so it was rolled back (${undone}): ${err.message}`);
  }
  return new Error(`${verb} ${p.key}: waiting for the gateways failed, rolled back (${undone}): ${(err as Error)?.message ?? err}`);
}

/**
 * A linearizable read (it needs the leader to confirm its leadership with a majority) before a write. Without
 * it, a write sent to a leader that has just lost its majority is appended to its log, times out here, and is
 * committed later when the other members return: a key from a create that reported failure. With it, a lost
 * quorum fails the operation before anything is proposed (one extra round trip, about a millisecond).
 */
async function confirmQuorum(client: Etcd3, p: OwnedKeyProps, verb: string): Promise<void> {
  await etcdCallResilient(p.connection, `${verb} ${p.key} (quorum check before writing)`, () => client.get(p.key).exec());
}

/** Gated write and rollback on a failed gate, shared by create and update. */
async function gateWrite<P extends OwnedKeyProps>(client: Etcd3, p: P, kind: KeyKind<P>, verb: string, w: { revision: number; wrote: boolean; previous?: string; kept: string }, o: OperationOptions): Promise<GateSummary | undefined> {
  try {
    return summarize(await runGate(client, p, kind.putTarget(p, w.revision), o));
  } catch (err) {
    const undone = w.wrote ? await undoWrite(client, p, w.revision, w.previous) : w.kept;
    throw gateFailure(p, verb, err, undone);
  }
}

/** create: the key if absent (or ours already, or adopted), then the gate. */
export async function createKey<P extends OwnedKeyProps>(p: P, kind: KeyKind<P>, o: OperationOptions = {}): Promise<{ revision: number; gateResult?: GateSummary }> {
  return withClient(p.connection, async (client) => {
    await confirmQuorum(client, p, "create");
    const res = await etcdCallResilient(p.connection, `create ${p.key}`, () =>
      client.if(p.key, "Create", "==", 0).then(client.put(p.key).value(p.value)).else(client.get(p.key)).commit(),
    );
    let revision: number;
    let wrote = true;
    let previous: string | undefined;
    if (res.succeeded) {
      revision = Number(res.header.revision);
    } else {
      const existing = kvOf(res.responses[0]?.response_range?.kvs);
      if (!existing) throw new Error(`create ${p.key}: the key vanished during the transaction; run again`);
      const decision = decideExisting(p, existing, kind.owner);
      if (decision.action === "conflict") throw new Error(decision.message);
      if (decision.action === "adopt-same") {
        // Ours already (a retried create, or someone put exactly our value): adopt without a write.
        revision = existing.modRevision;
        wrote = false;
      } else {
        const took = await etcdCallResilient(p.connection, `adopt ${p.key}`, () =>
          client.if(p.key, "Mod", "==", existing.modRevision).then(client.put(p.key).value(p.value)).else(client.get(p.key)).commit(),
        );
        if (!took.succeeded) {
          const now = kvOf(took.responses[0]?.response_range?.kvs);
          throw new Error(now ? conflictMessage(p, now, kind.owner) : `adopt ${p.key}: the key vanished while adopting it; run again`);
        }
        revision = Number(took.header.revision);
        previous = existing.value;
      }
    }
    const gateResult = await gateWrite(client, p, kind, "create", { revision, wrote, previous, kept: `kept ${p.key}: it existed with this value before, so it is not ours to remove` }, o);
    return { revision, ...(gateResult ? { gateResult } : {}) };
  });
}

/** update: from the value last deployed (`old`) to p.value, then the gate. */
export async function updateKey<P extends OwnedKeyProps>(old: { key: string; value: string; revision: number; gateResult?: GateSummary }, p: P, kind: KeyKind<P>, o: OperationOptions = {}): Promise<{ revision: number; gateResult?: GateSummary }> {
  if (old.key !== p.key) throw new Error(`update cannot move ${old.key} to ${p.key}; this is a replacement (provider bug)`);
  if (old.value === p.value) {
    // Only settings changed (connection, gate, adopt): nothing to write; keep the state current for read/delete.
    return { revision: old.revision, ...(old.gateResult ? { gateResult: old.gateResult } : {}) };
  }
  return withClient(p.connection, async (client) => {
    await confirmQuorum(client, p, "update");
    const res = await etcdCallResilient(p.connection, `update ${p.key}`, () =>
      client.if(p.key, "Value", "==", old.value).then(client.put(p.key).value(p.value)).else(client.get(p.key)).commit(),
    );
    let revision: number;
    let previous: string | undefined = old.value;
    let wrote = true;
    if (res.succeeded) {
      revision = Number(res.header.revision);
    } else {
      const current = kvOf(res.responses[0]?.response_range?.kvs);
      if (!current) {
        // Deleted by hand since the last deploy: the resource should exist, so put it back (if still absent).
        const put = await etcdCallResilient(p.connection, `update ${p.key} (recreate)`, () =>
          client.if(p.key, "Create", "==", 0).then(client.put(p.key).value(p.value)).commit(),
        );
        if (!put.succeeded) throw new Error(`update ${p.key}: the key was recreated by someone else meanwhile; run pulumi refresh, then again`);
        revision = Number(put.header.revision);
        previous = undefined;
      } else if (current.value === p.value) {
        revision = current.modRevision;
        wrote = false;
      } else if (p.adopt) {
        const took = await etcdCallResilient(p.connection, `adopt ${p.key}`, () =>
          client.if(p.key, "Mod", "==", current.modRevision).then(client.put(p.key).value(p.value)).commit(),
        );
        if (!took.succeeded) throw new Error(`update ${p.key}: the key changed again while adopting it; run again`);
        revision = Number(took.header.revision);
        previous = current.value;
      } else {
        throw new Error(foreignUpdateMessage(p, old.value, current, kind.owner));
      }
    }
    const gateResult = await gateWrite(client, p, kind, "update", { revision, wrote, previous, kept: `kept ${p.key}: the value was already there` }, o);
    return { revision, ...(gateResult ? { gateResult } : {}) };
  });
}

/** delete: only while the key still holds our value, then the gate (the gateways stop using it). */
export async function deleteKey<P extends OwnedKeyProps>(p: P, kind: KeyKind<P>, o: OperationOptions = {}): Promise<{ deleted: boolean; revision: number; gate?: GateResult }> {
  return withClient(p.connection, async (client) => {
    const res = await etcdCallResilient(p.connection, `delete ${p.key}`, () =>
      client.if(p.key, "Value", "==", p.value).then(client.delete().key(p.key)).else(client.get(p.key)).commit(),
    );
    let revision = Number(res.header.revision);
    const deleted = res.succeeded;
    if (!res.succeeded) {
      const current = kvOf(res.responses[0]?.response_range?.kvs);
      if (current) throw new Error(foreignDeleteMessage(p, current, kind.owner));
      // Already gone (deleted by hand at some revision we cannot know): success, but still make sure no gateway
      // uses it any more. Not the current revision: gateways advance their applied revision only on changes
      // under services/, so a revision bumped by anything else (status keys) might never be reached.
      revision = 0;
    }
    let gate: GateResult | undefined;
    try {
      gate = await runGate(client, p, kind.deleteTarget(p, revision), o);
    } catch (err) {
      throw new Error(kind.deleteGateFailure(p, deleted, (err as Error).message));
    }
    return { deleted, revision, gate };
  });
}

/** read (refresh): the key's current value and mod revision, or undefined when it is gone. */
export async function readKey(p: OwnedKeyProps): Promise<{ value: string; modRevision: number } | undefined> {
  return withClient(p.connection, async (client) => {
    const res = await etcdCallResilient(p.connection, `read ${p.key}`, () => client.get(p.key).exec());
    return kvOf(res.kvs);
  });
}
