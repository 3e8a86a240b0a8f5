/**
 * The gateway status protocol: the only way the Upstream provider learns that traffic has moved.
 *
 * Every gateway agent keeps one key, <root>/gateways/<gateway-id>, bound to a lease of its own (so a dead
 * gateway disappears from the set of "live" gateways when its lease expires). The value is a
 * GatewayStatus as JSON. A gateway rewrites it after every apply and whenever an endpoint's health changes.
 *
 * A writer (the provider) that put or deleted an upstream at etcd revision R waits until, for every live
 * gateway, `appliedRevision >= R` and the endpoint is in the expected state: routed and healthy after a put,
 * not routed after a delete. This module holds the types and the pure decision; the I/O lives with each side.
 */

export const STATUS_PROTOCOL_VERSION = 1;

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

export interface GatewayStatus {
  protocol: typeof STATUS_PROTOCOL_VERSION;
  id: string;
  kind: "nginx" | "haproxy" | string;
  /** Highest etcd revision of the services root that is applied to the running proxy. */
  appliedRevision: number;
  appliedAt: string;
  /** Endpoints the proxy routes to, keyed by endpointId ("service/endpoint"). */
  endpoints: Record<string, EndpointStatus>;
  /** The last failure to apply (invalid render, reload failure); null once an apply succeeds. */
  lastError: { at: string; message: string } | null;
}

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
  if (typeof s.id !== "string" || typeof s.appliedRevision !== "number" || typeof s.endpoints !== "object" || s.endpoints === null) {
    return { problem: "status lacks id, appliedRevision or endpoints" };
  }
  return s as GatewayStatus;
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
