/**
 * Pure logic shared by the dynamic providers that own one etcd key each (Upstream, Route): the checks of the
 * settings every owned key has (connection, gate, adopt), the change classification, and the ownership
 * decisions and messages of create/update/delete. No I/O here; operations.ts does the etcd calls and asks
 * these functions what to do. Each provider adds only what is its own: how its key and value are derived
 * and validated, and what its gate waits for.
 */
import { connectionProblems, type EtcdConnection } from "../../lib/etcd/client";
import { DEFAULT_ROOT, normalizeRoot, rootProblem } from "../../lib/etcd/keys";

/** What Pulumi sends for a value not known yet (preview): @pulumi/pulumi runtime/rpc `unknownValue`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const DEFAULT_GATE_TIMEOUT_MS = 120_000;
export const MAX_GATE_TIMEOUT_MS = 60 * 60 * 1000;

export interface GateSettings {
  /** Wait for the gateways after every write (default true). */
  enabled: boolean;
  /** How long create/update/delete wait for the gateways (default 120000). */
  timeoutMs: number;
  /** Fail early once a gateway reports the endpoint unhealthy this long (default min(timeoutMs, 15000)). */
  unhealthyGraceMs?: number;
  /** Re-list interval of the gate (default 500). */
  pollMs?: number;
}

/** Inputs after check of any owned key: every field filled. */
export interface OwnedKeyProps {
  root: string;
  key: string;
  value: string;
  connection: EtcdConnection;
  gate: GateSettings;
  /** Take over a key that exists with another value (default false). */
  adopt: boolean;
}

/** Who owns a key, for the messages: the resource kind and how a user takes a foreign key over. */
export interface KeyOwner {
  /** "Upstream", "Route". */
  kind: string;
  /** How to set adopt for this kind, e.g. "set adopt: true on this Upstream". */
  howToAdopt: string;
  /** One more way out of a conflict, e.g. "choose another endpoint name". */
  alternative?: string;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

type Loose = Record<string, unknown>;

/** True when v is, or contains, Pulumi's unknown sentinel (preview). */
export function isUnknown(v: unknown): boolean {
  if (v === UNKNOWN) return true;
  if (Array.isArray(v)) return v.some(isUnknown);
  if (v && typeof v === "object") return Object.values(v as Loose).some(isUnknown);
  return false;
}

/** check of the key schema root (default /switchyard), normalized into `inputs.root`; unknown passes through. */
export function checkRoot(news: Loose, inputs: Loose, fail: (property: string, reason: string) => void): void {
  const root = news.root ?? DEFAULT_ROOT;
  if (root !== UNKNOWN) {
    if (typeof root !== "string") fail("root", "root must be a string such as /switchyard");
    else {
      const p = rootProblem(root);
      if (p) fail("root", `root ${p}`);
      else inputs.root = normalizeRoot(root);
    }
  } else inputs.root = root;
}

/**
 * check of the settings every owned key has: connection (required), gate (defaults filled), adopt (default
 * false). Writes the normalized values into `inputs` and reports problems through `fail`.
 */
export function checkOwnership(news: Loose, inputs: Loose, fail: (property: string, reason: string) => void): void {
  const conn = news.connection;
  if (conn === undefined) fail("connection", "connection is required: { endpoints: [\"http://127.0.0.1:2379\"] }");
  else if (!isUnknown(conn)) {
    if (typeof conn !== "object" || conn === null) fail("connection", "connection must be an object");
    else for (const p of connectionProblems(conn as Partial<EtcdConnection>)) fail("connection", p);
  }

  const gate = (news.gate ?? {}) as Loose;
  if (!isUnknown(gate)) {
    if (typeof gate !== "object" || gate === null) fail("gate", "gate must be an object { enabled, timeoutMs }");
    else {
      const normalized: Loose = { ...gate, enabled: gate.enabled ?? true, timeoutMs: gate.timeoutMs ?? DEFAULT_GATE_TIMEOUT_MS };
      if (typeof normalized.enabled !== "boolean") fail("gate", "gate.enabled must be true or false");
      for (const k of ["timeoutMs", "unhealthyGraceMs", "pollMs"] as const) {
        const v = normalized[k];
        if (v !== undefined && (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || v > MAX_GATE_TIMEOUT_MS)) {
          fail("gate", `gate.${k} must be a positive number of milliseconds up to ${MAX_GATE_TIMEOUT_MS}, got ${String(v)}`);
        }
      }
      inputs.gate = normalized;
    }
  }

  const adopt = news.adopt ?? false;
  if (adopt !== UNKNOWN && typeof adopt !== "boolean") fail("adopt", "adopt must be true or false");
  inputs.adopt = adopt;
}

/** The result of a check made strict for create/update: throws the failures (and unknowns) as one error. */
export function requireKnown<P>(kind: string, checked: { inputs: Loose; failures: CheckFailure[] }): P {
  const { inputs, failures } = checked;
  if (failures.length) throw new Error(`invalid ${kind} inputs: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  if (isUnknown(inputs)) throw new Error(`${kind} inputs are still unknown; this is only possible during preview`);
  return inputs as unknown as P;
}

export interface OwnedKeyDiff {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: false;
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") return Object.fromEntries(Object.keys(v as Loose).sort().map((k) => [k, sortKeys((v as Loose)[k])]));
  return v;
}

/**
 * diff: a change to a field that names the key (`identity`: key, root, service, ...) is another key → replace
 * (create the new key first, then delete the old one: they never collide). A change to what is written
 * (`content`) → update (one gated write). Connection, gate and adopt changes → update too, but one that writes
 * nothing to etcd: it only stores the settings that read/delete will use later. Unknowns count as changed.
 */
export function diffOwnedKey(olds: Loose, news: Loose, identity: string[], content: string[]): OwnedKeyDiff {
  const replaces: string[] = [];
  for (const f of identity) {
    if (news[f] === UNKNOWN || (news[f] !== undefined && news[f] !== olds[f])) replaces.push(f);
  }
  let changes = replaces.length > 0;
  for (const f of [...content, "connection", "gate", "adopt"]) {
    if (isUnknown(news[f]) || !sameJson(olds[f], news[f])) changes = true;
  }
  return { changes, replaces, deleteBeforeReplace: false };
}

/** The parts of a value an operator recognizes: the value itself and the JSON `source`, if any. */
export function describeValue(value: string): string {
  let source = "";
  try {
    const parsed = JSON.parse(value) as unknown;
    const s = parsed && typeof parsed === "object" ? (parsed as Loose).source : undefined;
    if (typeof s === "string") source = `, source '${s}'`;
  } catch {
    // a plain "host:port" (or anything else that is not JSON) has no source
  }
  return `'${value}'${source}`;
}

export type CreateDecision = { action: "adopt-same" } | { action: "take-over" } | { action: "conflict"; message: string };

type Mine = Pick<OwnedKeyProps, "key" | "value" | "adopt" | "connection">;
type Found = { value: string; modRevision: number };

/** create found the key already there: same value → ours already; adopt → take it over; else conflict. */
export function decideExisting(p: Mine, existing: Found, owner: KeyOwner): CreateDecision {
  if (existing.value === p.value) return { action: "adopt-same" };
  if (p.adopt) return { action: "take-over" };
  return { action: "conflict", message: conflictMessage(p, existing, owner) };
}

export function conflictMessage(p: Omit<Mine, "adopt">, existing: Found, owner: KeyOwner): string {
  const eps = p.connection.endpoints.join(",");
  return (
    `etcd key ${p.key} already exists with value ${describeValue(existing.value)} (mod revision ${existing.modRevision}), ` +
    `which this ${owner.kind} did not write (it wants '${p.value}'). Nothing was changed. To take the key over, ${owner.howToAdopt}; ` +
    `or remove it by hand (ETCDCTL_API=3 etcdctl --endpoints=${eps} del ${p.key}) and run again` +
    `${owner.alternative ? `; or ${owner.alternative}` : ""}.`
  );
}

export function foreignDeleteMessage(p: Omit<Mine, "adopt">, current: Found, owner: KeyOwner): string {
  const eps = p.connection.endpoints.join(",");
  return (
    `refusing to delete etcd key ${p.key}: it now holds ${describeValue(current.value)} (mod revision ${current.modRevision}), ` +
    `not the '${p.value}' this ${owner.kind} wrote, so someone else owns it now and traffic may depend on it. Left unchanged. ` +
    `If it should go: etcdctl --endpoints=${eps} del ${p.key}, then run again. If Pulumi should accept the new value ` +
    `first: pulumi refresh, then run again. To only forget the resource: pulumi state delete <urn>.`
  );
}

export function foreignUpdateMessage(p: Omit<Mine, "adopt">, expected: string, current: Found, owner: KeyOwner): string {
  return (
    `etcd key ${p.key} was changed outside Pulumi: it holds ${describeValue(current.value)} (mod revision ${current.modRevision}), ` +
    `not '${expected}' as last deployed. Nothing was changed. Run pulumi refresh to accept the current value (the next ` +
    `update then overwrites it), or ${owner.howToAdopt} to overwrite it now.`
  );
}
