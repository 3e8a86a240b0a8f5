/**
 * Pure logic of the Upstream provider: input normalization and validation (check), change classification
 * (diff), and the ownership decisions and messages of create/update/delete. No I/O here; operations.ts does
 * the etcd calls and asks these functions what to do.
 */
import { connectionProblems, type EtcdConnection } from "../../lib/etcd/client";
import { DEFAULT_ROOT, nameProblem, normalizeRoot, parseKey, parseUpstreamValue, rootProblem, upstreamKey } from "../../lib/etcd/keys";

/** What Pulumi sends for a value not known yet (preview): @pulumi/pulumi runtime/rpc `unknownValue`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const DEFAULT_GATE_TIMEOUT_MS = 120_000;
export const MAX_GATE_TIMEOUT_MS = 60 * 60 * 1000;

export interface UpstreamGateSettings {
  /** Wait for the gateways after every write (default true). */
  enabled: boolean;
  /** How long create/update/delete wait for the gateways (default 120000). */
  timeoutMs: number;
  /** Fail early once a gateway reports the endpoint unhealthy this long (default min(timeoutMs, 15000)). */
  unhealthyGraceMs?: number;
  /** Re-list interval of the gate (default 500). */
  pollMs?: number;
}

/** Inputs after check: every field filled, names consistent with the key. */
export interface UpstreamProps {
  root: string;
  service: string;
  endpoint: string;
  key: string;
  value: string;
  connection: EtcdConnection;
  gate: UpstreamGateSettings;
  /** Take over a key that exists with another value (default false). */
  adopt: boolean;
}

/** Outputs (the state Pulumi keeps; read and delete work from these alone). */
export interface UpstreamOuts extends UpstreamProps {
  /** "host:port" the gateways dial, parsed from value. */
  addr: string;
  /** etcd mod revision of the key as last written or read. */
  revision: number;
  /** What the last gate saw; absent when the gate is disabled. */
  gateResult?: { gateways: string[]; noGateways: boolean; waitedMs: number };
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

/**
 * check: fills defaults, derives key <-> service/endpoint, validates everything that is known. Unknown values
 * (preview) are passed through untouched and not validated; a key that depends on an unknown is unknown.
 */
export function checkUpstream(news: Loose): { inputs: Loose; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Loose = { ...news };

  const root = news.root ?? DEFAULT_ROOT;
  if (root !== UNKNOWN) {
    if (typeof root !== "string") fail("root", "root must be a string such as /switchyard");
    else {
      const p = rootProblem(root);
      if (p) fail("root", `root ${p}`);
      else inputs.root = normalizeRoot(root);
    }
  } else inputs.root = root;

  const hasNames = news.service !== undefined || news.endpoint !== undefined;
  if (news.key !== undefined && news.key !== UNKNOWN) {
    if (typeof news.key !== "string") fail("key", "key must be a string");
    else if (inputs.root !== UNKNOWN && typeof inputs.root === "string" && !failures.some((f) => f.property === "root")) {
      const parsed = parseKey(inputs.root, news.key);
      if (parsed.kind !== "upstream") {
        fail("key", `key '${news.key}' is not an upstream key: expected ${inputs.root}/services/<service>/upstream/<endpoint>`);
      } else {
        for (const [field, derived] of [["service", parsed.service], ["endpoint", parsed.endpoint]] as const) {
          const given = news[field];
          if (given !== undefined && given !== UNKNOWN && given !== derived) {
            fail(field, `${field} '${String(given)}' contradicts key '${news.key}' (which names '${derived}'); give the key or the names, not both`);
          }
          inputs[field] = derived;
        }
      }
    }
  } else if (news.key === UNKNOWN) {
    inputs.key = UNKNOWN;
  } else if (!hasNames) {
    fail("service", "give service and endpoint (or the full key)");
  } else {
    for (const field of ["service", "endpoint"] as const) {
      const v = news[field];
      if (v === UNKNOWN) continue;
      if (typeof v !== "string") fail(field, `${field} must be a string`);
      else {
        const p = nameProblem(field, v);
        if (p) fail(field, p);
      }
    }
    const parts = [inputs.root, news.service, news.endpoint];
    if (parts.some((p) => p === UNKNOWN)) inputs.key = UNKNOWN;
    else if (!failures.length) inputs.key = upstreamKey(inputs.root as string, news.service as string, news.endpoint as string);
  }

  const value = news.value;
  if (value === undefined) fail("value", 'value is required: "host:port" or JSON {"addr":"host:port", ...}');
  else if (value !== UNKNOWN) {
    if (typeof value !== "string") fail("value", "value must be a string");
    else {
      const parsed = parseUpstreamValue(value);
      if ("problem" in parsed) fail("value", `value ${parsed.problem}`);
    }
  }

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
  return { inputs, failures };
}

/** check for code paths that need known, valid props (create/update): throws the failures as one error. */
export function requireProps(news: Loose): UpstreamProps {
  const { inputs, failures } = checkUpstream(news);
  if (failures.length) throw new Error(`invalid Upstream inputs: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  if (isUnknown(inputs)) throw new Error("Upstream inputs are still unknown; this is only possible during preview");
  return inputs as unknown as UpstreamProps;
}

export interface UpstreamDiff {
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
 * diff: a different key (root, service, endpoint) is another key → replace (create the new key first, then
 * delete the old one: they never collide). A different value → update (one gated write). Connection, gate and
 * adopt changes → update too, but an update that writes nothing to etcd: it only stores the settings that
 * read/delete will use later. Unknown values count as changed (preview).
 */
export function diffUpstream(olds: Loose, news: Loose): UpstreamDiff {
  const replaces: string[] = [];
  for (const f of ["key", "root", "service", "endpoint"]) {
    if (news[f] === UNKNOWN || (news[f] !== undefined && news[f] !== olds[f])) replaces.push(f);
  }
  let changes = replaces.length > 0;
  for (const f of ["value", "connection", "gate", "adopt"]) {
    if (isUnknown(news[f]) || !sameJson(olds[f], news[f])) changes = true;
  }
  return { changes, replaces, deleteBeforeReplace: false };
}

/** The parts of a value an operator recognizes: the value itself and the JSON `source`, if any. */
export function describeValue(value: string): string {
  const parsed = parseUpstreamValue(value);
  const source = !("problem" in parsed) && typeof parsed.meta.source === "string" ? `, source '${parsed.meta.source}'` : "";
  return `'${value}'${source}`;
}

export type CreateDecision = { action: "adopt-same" } | { action: "take-over" } | { action: "conflict"; message: string };

/** create found the key already there: same value → ours already; adopt → take it over; else conflict. */
export function decideExisting(p: Pick<UpstreamProps, "key" | "value" | "adopt" | "connection">, existing: { value: string; modRevision: number }): CreateDecision {
  if (existing.value === p.value) return { action: "adopt-same" };
  if (p.adopt) return { action: "take-over" };
  return { action: "conflict", message: conflictMessage(p, existing) };
}

export function conflictMessage(p: Pick<UpstreamProps, "key" | "value" | "connection">, existing: { value: string; modRevision: number }): string {
  const eps = p.connection.endpoints.join(",");
  return (
    `etcd key ${p.key} already exists with value ${describeValue(existing.value)} (mod revision ${existing.modRevision}), ` +
    `which this Upstream did not write (it wants '${p.value}'). Nothing was changed. To take the key over, set adopt: true ` +
    `on this Upstream; or remove it by hand (ETCDCTL_API=3 etcdctl --endpoints=${eps} del ${p.key}) and run again; ` +
    `or choose another endpoint name.`
  );
}

export function foreignDeleteMessage(p: Pick<UpstreamProps, "key" | "value" | "connection">, current: { value: string; modRevision: number }): string {
  const eps = p.connection.endpoints.join(",");
  return (
    `refusing to delete etcd key ${p.key}: it now holds ${describeValue(current.value)} (mod revision ${current.modRevision}), ` +
    `not the '${p.value}' this Upstream wrote, so someone else owns it now and traffic may depend on it. Left unchanged. ` +
    `If it should go: etcdctl --endpoints=${eps} del ${p.key}, then run again. If Pulumi should accept the new value ` +
    `first: pulumi refresh, then run again. To only forget the resource: pulumi state delete <urn>.`
  );
}

export function foreignUpdateMessage(p: Pick<UpstreamProps, "key" | "value" | "connection">, expected: string, current: { value: string; modRevision: number }): string {
  return (
    `etcd key ${p.key} was changed outside Pulumi: it holds ${describeValue(current.value)} (mod revision ${current.modRevision}), ` +
    `not '${expected}' as last deployed. Nothing was changed. Run pulumi refresh to accept the current value (the next ` +
    `update then overwrites it), or set adopt: true to overwrite it now.`
  );
}
