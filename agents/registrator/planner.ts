/**
 * The registrator's one decision: given what should be registered (from the running, labelled containers)
 * and what etcd holds under <root>/services/, which keys to put and which to delete. Pure and level-triggered:
 * the same inputs always give the same plan, so a missed or repeated Docker event cannot leave it wrong.
 *
 * Ownership: a registrator owns exactly the keys whose value is JSON with source "registrator" and its own
 * registrator id. It never writes or deletes any other key, even one at the path it wants (that is reported
 * as a conflict). Owning by id rather than by lease lets a restarted registrator adopt its predecessor's keys
 * (re-attaching them to its new lease) and remove at once the ones whose container died while it was down.
 */
import { parseUpstreamValue } from "../../lib/etcd/keys";
import { SOURCE, type Registration } from "./labels";

/** One key as read from etcd. Revisions and lease ids are etcd's int64s as decimal strings ("0" = none). */
export interface KeyState {
  key: string;
  value: string;
  lease: string;
  modRevision: string;
}

export interface PlannedPut {
  key: string;
  value: string;
  /** The put happens only if the key's mod revision is still this ("0": the key must not exist). */
  expectModRevision: string;
  why: "missing" | "changed" | "lease";
}

export interface PlannedDelete {
  key: string;
  expectModRevision: string;
}

export interface Conflict {
  key: string;
  containerName: string;
  problem: string;
}

export interface Plan {
  puts: PlannedPut[];
  deletes: PlannedDelete[];
  conflicts: Conflict[];
  /** Keys this registrator owns and wants, after the plan is applied: the "registered" count. */
  registered: number;
}

/** The registrator id that owns a value, or undefined when it is not a registrator's value. */
export function ownerOf(value: string): string | undefined {
  const parsed = parseUpstreamValue(value);
  if ("problem" in parsed) return undefined;
  if (parsed.meta.source !== SOURCE) return undefined;
  return typeof parsed.meta.registrator === "string" ? parsed.meta.registrator : undefined;
}

export function isOwnedBy(value: string, registratorId: string): boolean {
  return ownerOf(value) === registratorId;
}

export interface PlanInput {
  desired: Registration[];
  current: KeyState[];
  registratorId: string;
  /** The lease every owned key must be attached to. */
  leaseId: string;
}

export function planSync({ desired, current, registratorId, leaseId }: PlanInput): Plan {
  const byKey = new Map(current.map((k) => [k.key, k]));
  const puts: PlannedPut[] = [];
  const conflicts: Conflict[] = [];
  const wanted = new Set<string>();

  // Deterministic winner when two containers claim the same endpoint: the first by container name.
  const sorted = [...desired].sort((a, b) => a.containerName.localeCompare(b.containerName));
  for (const d of sorted) {
    if (wanted.has(d.key)) {
      conflicts.push({ key: d.key, containerName: d.containerName, problem: `another container already registers ${d.key}; give one of them a different endpoint label` });
      continue;
    }
    const cur = byKey.get(d.key);
    if (!cur) {
      wanted.add(d.key);
      puts.push({ key: d.key, value: d.value, expectModRevision: "0", why: "missing" });
      continue;
    }
    if (!isOwnedBy(cur.value, registratorId)) {
      const owner = ownerOf(cur.value);
      conflicts.push({
        key: d.key,
        containerName: d.containerName,
        problem: `key is held by ${owner ? `registrator '${owner}'` : "a key this registrator did not write"}; left untouched`,
      });
      continue;
    }
    wanted.add(d.key);
    // Only a real change rewrites a key: unchanged keys stay put, so consumers see no event.
    if (cur.value !== d.value) puts.push({ key: d.key, value: d.value, expectModRevision: cur.modRevision, why: "changed" });
    else if (cur.lease !== leaseId) puts.push({ key: d.key, value: d.value, expectModRevision: cur.modRevision, why: "lease" });
  }

  const deletes: PlannedDelete[] = current
    .filter((k) => !wanted.has(k.key) && isOwnedBy(k.value, registratorId))
    .map((k) => ({ key: k.key, expectModRevision: k.modRevision }));

  return { puts, deletes, conflicts, registered: wanted.size };
}

/**
 * A graceful stop's handover: every key this registrator owns on its lease, put again unchanged (guarded by
 * its mod revision) so the caller can attach it to a longer, un-kept-alive handover lease. A successor with
 * the same id (a replaced registrator container) then has that long to adopt the keys onto its own lease,
 * and the gateways see puts of unchanged values, never a deletion. Pure.
 */
export function planHandover(current: KeyState[], registratorId: string, leaseId: string): PlannedPut[] {
  return current
    .filter((k) => k.lease === leaseId && isOwnedBy(k.value, registratorId))
    .map((k) => ({ key: k.key, value: k.value, expectModRevision: k.modRevision, why: "lease" as const }));
}
