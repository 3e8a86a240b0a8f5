/**
 * The gateway status protocol: the only way the Upstream provider learns that traffic has moved.
 *
 * Every gateway agent keeps, bound to a lease of its own (so a dead gateway disappears from the set of "live"
 * gateways when its lease expires):
 *   <root>/gateways/<id>                                  a small summary: applied revision, last error, counts
 *   <root>/gateway-endpoints/<id>/<service>/<endpoint>    one small report per endpoint it routes: addr, health
 * Protocol 1 kept every endpoint in the one summary key, which grew with the registry (952 KB at 10,000
 * endpoints, against etcd's 1.5 MiB request limit) and was rewritten whole on every change. Now a change writes
 * the reports that changed plus the summary, last and in the same transaction as the last reports, so a reader
 * that sees `appliedRevision >= R` also sees every report of that apply.
 *
 * A writer (the provider) that put or deleted an upstream at etcd revision R waits until, for every live
 * gateway, `appliedRevision >= R` and the endpoint is in the expected state: routed and healthy after a put,
 * not routed after a delete. This module holds the types and the pure decisions; the I/O is status-io.ts.
 */
import { endpointId, gatewayEndpointKey, gatewayStatusKey, parseKey } from "./keys";

export const STATUS_PROTOCOL_VERSION = 2;

export type EndpointHealth = "healthy" | "unhealthy" | "pending";

export interface EndpointStatus {
  /** "host:port" the gateway dials for this endpoint. */
  addr: string;
  health: EndpointHealth;
  /** Why it is unhealthy or pending (e.g. "GET /healthz -> 500", "connect ECONNREFUSED"). */
  reason?: string;
  /** ISO time the health last changed. */
  since?: string;
}

/** One gateway's status as readers see it: the summary with the endpoint reports that were read with it. */
export interface GatewayStatus {
  protocol: typeof STATUS_PROTOCOL_VERSION;
  id: string;
  kind: "nginx" | "haproxy" | string;
  /** Highest etcd revision of the services root that is applied to the running proxy. */
  appliedRevision: number;
  appliedAt: string;
  /**
   * Endpoints the proxy routes to, keyed by endpointId ("service/endpoint"). A gate reads only the report of
   * the endpoint it waits for, so there this holds at most that one.
   */
  endpoints: Record<string, EndpointStatus>;
  /** The last failure to apply (invalid render, reload failure); null once an apply succeeds. */
  lastError: { at: string; message: string } | null;
}

/** What the summary key holds: the status without its endpoint reports. */
export type GatewaySummary = Omit<GatewayStatus, "endpoints"> & { endpointCount: number };

export function parseGatewayStatus(value: string): GatewayStatus | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return { problem: `status is not JSON (${(e as Error).message})` };
  }
  const s = parsed as Partial<GatewayStatus> | null;
  if (!s || typeof s !== "object") return { problem: "status is not an object" };
  if (s.protocol !== STATUS_PROTOCOL_VERSION) return { problem: `status protocol ${String(s.protocol)} is not ${STATUS_PROTOCOL_VERSION}` };
  if (typeof s.id !== "string" || typeof s.appliedRevision !== "number") return { problem: "status lacks id or appliedRevision" };
  const { endpointCount: _count, ...rest } = s as GatewaySummary;
  return { ...(rest as Omit<GatewayStatus, "endpoints">), endpoints: {} };
}

export function parseEndpointStatus(value: string): EndpointStatus | { problem: string } {
  let e: Partial<EndpointStatus> | null;
  try {
    e = JSON.parse(value) as Partial<EndpointStatus> | null;
  } catch (err) {
    return { problem: `endpoint report is not JSON (${(err as Error).message})` };
  }
  if (!e || typeof e.addr !== "string" || (e.health !== "healthy" && e.health !== "unhealthy" && e.health !== "pending")) {
    return { problem: "endpoint report lacks addr or a known health" };
  }
  return e as EndpointStatus;
}

/**
 * Pure: the keys and values that represent one gateway's status. The summary key comes last: writers put it
 * after (or with) the endpoint reports, so it never announces an apply whose reports are not there yet.
 */
export function statusEntries(root: string, status: GatewayStatus): Map<string, string> {
  const entries = new Map<string, string>();
  for (const [id, e] of Object.entries(status.endpoints)) {
    const slash = id.indexOf("/");
    entries.set(gatewayEndpointKey(root, status.id, id.slice(0, slash), id.slice(slash + 1)), JSON.stringify(e));
  }
  const { endpoints, ...summary } = status;
  entries.set(gatewayStatusKey(root, status.id), JSON.stringify({ ...summary, endpointCount: Object.keys(endpoints).length } satisfies GatewaySummary));
  return entries;
}

export interface StatusChanges {
  puts: [key: string, value: string][];
  deletes: string[];
  /** Bytes of keys and values sent (what a change costs in writes and in watch traffic to every reader). */
  bytes: number;
}

/**
 * Pure: what to write to go from the entries last written to the next ones. O(entries) compares, but only
 * what changed is written; the summary (the last entry of `next`) stays last.
 */
export function statusChanges(written: ReadonlyMap<string, string>, next: ReadonlyMap<string, string>): StatusChanges {
  const puts: [string, string][] = [];
  const deletes: string[] = [];
  let bytes = 0;
  for (const key of written.keys()) {
    if (!next.has(key)) {
      deletes.push(key);
      bytes += key.length;
    }
  }
  for (const [key, value] of next) {
    if (written.get(key) === value) continue;
    puts.push([key, value]);
    bytes += key.length + value.length;
  }
  return { puts, deletes, bytes };
}

/**
 * Pure: statuses from a listing of summary keys and endpoint report keys (any subset of them). Unparsable
 * keys are reported and skipped, as the gateway skips a bad upstream key; reports of a gateway without a
 * summary (expired, or not yet written) are ignored.
 */
export function assembleStatuses(root: string, entries: Record<string, string>): { statuses: GatewayStatus[]; skipped: string[] } {
  const byId = new Map<string, GatewayStatus>();
  const reports: [gateway: string, id: string, status: EndpointStatus][] = [];
  const skipped: string[] = [];
  for (const [key, value] of Object.entries(entries)) {
    const k = parseKey(root, key);
    if (k.kind === "gateway") {
      const s = parseGatewayStatus(value);
      if ("problem" in s) skipped.push(`${key}: ${s.problem}`);
      else byId.set(k.gatewayId, s);
    } else if (k.kind === "gateway-endpoint") {
      const e = parseEndpointStatus(value);
      if ("problem" in e) skipped.push(`${key}: ${e.problem}`);
      else reports.push([k.gatewayId, endpointId(k.service, k.endpoint), e]);
    } else {
      skipped.push(`${key}: ${k.kind === "unknown" ? k.problem : "not a gateway status key"}`);
    }
  }
  for (const [gateway, id, e] of reports) {
    const s = byId.get(gateway);
    if (s) s.endpoints[id] = e;
  }
  return { statuses: [...byId.values()], skipped };
}

/**
 * What a writer waits for: an upstream put is routed (healthy), an upstream delete unrouted, and a change that
 * names no endpoint (a route key) merely applied — every live gateway runs a config of that revision or later.
 */
export type GateTarget =
  | { expect: "routed"; revision: number; endpoint: string; addr?: string }
  | { expect: "unrouted"; revision: number; endpoint: string }
  | { expect: "applied"; revision: number; what: string };

export interface GateWaiting {
  gateway: string;
  reason: string;
  /** True when this gateway has seen the revision and positively reports the endpoint unhealthy. */
  unhealthy: boolean;
}

export type GateVerdict =
  | { done: true; gateways: string[]; noGateways: boolean }
  | { done: false; waiting: GateWaiting[] };

/**
 * Decides whether every live gateway has reached the target. Level-triggered: call it again with the
 * current statuses after every change; gateways that appear or vanish meanwhile are accounted for.
 * Zero live gateways is "done" with `noGateways: true`: the caller logs it deliberately (nothing routes
 * traffic, so there is nothing to wait for).
 */
export function evaluateGate(statuses: GatewayStatus[], target: GateTarget): GateVerdict {
  if (statuses.length === 0) return { done: true, gateways: [], noGateways: true };
  const waiting: GateWaiting[] = [];
  for (const s of statuses) {
    if (s.appliedRevision < target.revision) {
      const err = s.lastError ? `; last error: ${s.lastError.message}` : "";
      waiting.push({ gateway: s.id, reason: `has applied revision ${s.appliedRevision}, waiting for ${target.revision}${err}`, unhealthy: false });
      continue;
    }
    if (target.expect === "applied") continue;
    const ep = s.endpoints[target.endpoint];
    if (target.expect === "unrouted") {
      if (ep) waiting.push({ gateway: s.id, reason: `still routes to ${target.endpoint} (${ep.addr})`, unhealthy: false });
      continue;
    }
    if (!ep) {
      const err = s.lastError ? `: ${s.lastError.message}` : "";
      waiting.push({ gateway: s.id, reason: `does not route to ${target.endpoint}${err}`, unhealthy: false });
    } else if (target.addr && ep.addr !== target.addr) {
      waiting.push({ gateway: s.id, reason: `routes ${target.endpoint} to ${ep.addr}, not ${target.addr}`, unhealthy: false });
    } else if (ep.health !== "healthy") {
      const why = ep.reason ? `: ${ep.reason}` : "";
      waiting.push({ gateway: s.id, reason: `reports ${target.endpoint} ${ep.health}${why}`, unhealthy: ep.health === "unhealthy" });
    }
  }
  return waiting.length === 0 ? { done: true, gateways: statuses.map((s) => s.id), noGateways: false } : { done: false, waiting };
}

export function describeWaiting(waiting: GateWaiting[]): string {
  return waiting.map((w) => `gateway ${w.gateway} ${w.reason}`).join("; ");
}
