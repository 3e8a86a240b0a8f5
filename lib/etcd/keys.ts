/**
 * The key schema: the one layout under a configurable root that every part of switchyard reads and writes.
 *
 *   <root>/services/<service>/upstream/<endpoint>   "host:port"  or JSON {"addr":"host:port", ...metadata}
 *   <root>/services/<service>/route                 JSON {"hosts":["a.b.com"], "default": true}
 *   <root>/gateways/<gateway-id>                    JSON status summary (see status.ts), lease-bound
 *   <root>/gateway-endpoints/<gateway-id>/<service>/<endpoint>
 *                                                   JSON health of one routed endpoint, same lease
 *
 * Pure functions only: building keys, parsing keys and values. Anything unparsable is reported as a
 * `problem` string so that callers can skip it with a warning instead of failing.
 */

export const DEFAULT_ROOT = "/switchyard";

/** Service, endpoint and gateway names: what Docker allows in container names, bounded. */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export function normalizeRoot(root: string): string {
  const trimmed = root.trim().replace(/\/+$/, "");
  if (!trimmed.startsWith("/")) return "/" + trimmed;
  return trimmed;
}

/** Returns a problem description, or undefined when the root is acceptable. */
export function rootProblem(root: string): string | undefined {
  if (!root || !root.trim()) return "is empty; use an absolute prefix such as /switchyard";
  const r = normalizeRoot(root);
  if (r === "" || r === "/") return "must not be '/' alone; use a prefix such as /switchyard";
  if (!/^(\/[A-Za-z0-9_.-]+)+$/.test(r)) return `'${root}' may contain only /-separated segments of letters, digits, '_', '.', '-'`;
  return undefined;
}

export function nameProblem(kind: string, name: string): string | undefined {
  if (!name) return `${kind} name is empty`;
  if (!NAME_PATTERN.test(name)) {
    return `${kind} name '${name}' is invalid: use letters, digits, '_', '.', '-' (starting with a letter or digit, at most 128)`;
  }
  return undefined;
}

export const servicesPrefix = (root: string) => `${normalizeRoot(root)}/services/`;
export const gatewaysPrefix = (root: string) => `${normalizeRoot(root)}/gateways/`;
export const servicePrefix = (root: string, service: string) => `${servicesPrefix(root)}${service}/`;
export const upstreamPrefix = (root: string, service: string) => `${servicePrefix(root, service)}upstream/`;
export const upstreamKey = (root: string, service: string, endpoint: string) =>
  `${upstreamPrefix(root, service)}${endpoint}`;
export const routeKey = (root: string, service: string) => `${servicePrefix(root, service)}route`;
export const gatewayStatusKey = (root: string, gatewayId: string) => `${gatewaysPrefix(root)}${gatewayId}`;
/**
 * One gateway's per-endpoint reports. The gateway id comes first so that one etcd role (a prefix) can let a
 * gateway write its own reports and nobody else's.
 */
export const gatewayEndpointsPrefix = (root: string, gatewayId: string) => `${normalizeRoot(root)}/gateway-endpoints/${gatewayId}/`;
export const gatewayEndpointKey = (root: string, gatewayId: string, service: string, endpoint: string) =>
  `${gatewayEndpointsPrefix(root, gatewayId)}${service}/${endpoint}`;

/** "service/endpoint": how status reports and gates name one upstream, independent of the root. */
export const endpointId = (service: string, endpoint: string) => `${service}/${endpoint}`;

export type ParsedKey =
  | { kind: "upstream"; service: string; endpoint: string }
  | { kind: "route"; service: string }
  | { kind: "gateway"; gatewayId: string }
  | { kind: "gateway-endpoint"; gatewayId: string; service: string; endpoint: string }
  | { kind: "unknown"; problem: string };

export function parseKey(root: string, key: string): ParsedKey {
  const services = servicesPrefix(root);
  const gateways = gatewaysPrefix(root);
  if (key.startsWith(services)) {
    const parts = key.slice(services.length).split("/");
    if (parts.length === 3 && parts[1] === "upstream" && !nameProblem("service", parts[0]) && !nameProblem("endpoint", parts[2])) {
      return { kind: "upstream", service: parts[0], endpoint: parts[2] };
    }
    if (parts.length === 2 && parts[1] === "route" && !nameProblem("service", parts[0])) {
      return { kind: "route", service: parts[0] };
    }
    return { kind: "unknown", problem: `key '${key}' does not match ${services}<service>/upstream/<endpoint> or ${services}<service>/route` };
  }
  if (key.startsWith(gateways)) {
    const id = key.slice(gateways.length);
    if (!nameProblem("gateway", id)) return { kind: "gateway", gatewayId: id };
    return { kind: "unknown", problem: `gateway status key '${key}' has an invalid gateway id` };
  }
  const reports = `${normalizeRoot(root)}/gateway-endpoints/`;
  if (key.startsWith(reports)) {
    const [gatewayId, service, endpoint, ...rest] = key.slice(reports.length).split("/");
    if (rest.length === 0 && endpoint !== undefined && !nameProblem("gateway", gatewayId) && !nameProblem("service", service) && !nameProblem("endpoint", endpoint)) {
      return { kind: "gateway-endpoint", gatewayId, service, endpoint };
    }
    return { kind: "unknown", problem: `key '${key}' does not match ${reports}<gateway>/<service>/<endpoint>` };
  }
  return { kind: "unknown", problem: `key '${key}' is outside ${normalizeRoot(root)}/services, /gateways and /gateway-endpoints` };
}

/** Metadata that may ride along with an address in a JSON upstream value. */
export interface UpstreamMeta {
  version?: string;
  source?: string;
  weight?: number;
  host?: string;
  container?: string;
  image?: string;
  /** Path the gateway probes for active health checks; default "/" when absent. */
  healthPath?: string;
  [extra: string]: unknown;
}

export interface UpstreamValue {
  host: string;
  port: number;
  /** "host:port", as dialled by the gateway ("[v6]:port" for IPv6). */
  addr: string;
  meta: UpstreamMeta;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** A DNS host name (RFC 1123 labels): the one rule for names that are dialled, in keys and in config. */
export const isHostname = (name: string): boolean => HOSTNAME.test(name);
/** A dotted-quad IPv4 address. */
export const isIpv4 = (text: string): boolean => IPV4.test(text);

export function parseAddr(addr: string): { host: string; port: number } | { problem: string } {
  const text = addr.trim();
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(text) ?? /^([^:\s/]+):(\d+)$/.exec(text);
  if (!m) return { problem: `'${addr}' is not host:port` };
  const host = m[1];
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: `port in '${addr}' is not 1-65535` };
  const isV6 = text.startsWith("[");
  if (!isV6 && !IPV4.test(host) && !(HOSTNAME.test(host) && !/^\d+(\.\d+)*$/.test(host))) {
    return { problem: `host in '${addr}' is neither an IP address nor a host name` };
  }
  return { host, port };
}

/**
 * Parses an upstream value: a plain "host:port" (what `etcdctl put` by hand writes, as in the source
 * documents) or JSON {"addr":"host:port", ...metadata}.
 */
export function parseUpstreamValue(value: string): UpstreamValue | { problem: string } {
  const text = value.trim();
  let addr: string;
  let meta: UpstreamMeta = {};
  if (text.startsWith("{")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return { problem: `value is neither host:port nor valid JSON (${(e as Error).message})` };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { problem: "JSON value must be an object" };
    const obj = parsed as Record<string, unknown>;
    if (typeof obj.addr !== "string") return { problem: 'JSON value needs "addr": "host:port"' };
    if (obj.weight !== undefined && (typeof obj.weight !== "number" || !Number.isInteger(obj.weight) || obj.weight < 0 || obj.weight > 256)) {
      return { problem: '"weight" must be an integer 0-256' };
    }
    if (obj.healthPath !== undefined && (typeof obj.healthPath !== "string" || !obj.healthPath.startsWith("/"))) {
      return { problem: '"healthPath" must be a path starting with /' };
    }
    addr = obj.addr;
    const { addr: _ignored, ...rest } = obj;
    meta = rest as UpstreamMeta;
  } else {
    addr = text;
  }
  const hp = parseAddr(addr);
  if ("problem" in hp) return hp;
  const dial = hp.host.includes(":") ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
  return { host: hp.host, port: hp.port, addr: dial, meta };
}

export function formatUpstreamValue(addr: string, meta?: UpstreamMeta): string {
  if (!meta || Object.keys(meta).length === 0) return addr;
  return JSON.stringify({ addr, ...meta });
}

/** A service's routing: which Host headers reach it, and whether it takes requests no other service claims. */
export interface RouteValue {
  hosts: string[];
  default: boolean;
  /** Cookie stickiness (004's `cookie SERVERID insert`). */
  sticky?: boolean;
  /** Health check path for endpoints of this service whose value does not name one. */
  healthPath?: string;
}

/** A host name a route may claim (what parseRouteValue accepts), or the problem with it. */
export function hostNameProblem(host: string): string | undefined {
  return HOSTNAME.test(host) ? undefined : `'${host}' is not a host name (letters, digits, '-' and '.', like a.b.com)`;
}

/** The route value the program writes: fields in a fixed order, so an unchanged route is an unchanged text. */
export function formatRouteValue(r: RouteValue & { source?: string }): string {
  return JSON.stringify({
    hosts: r.hosts,
    default: r.default,
    ...(r.sticky !== undefined ? { sticky: r.sticky } : {}),
    ...(r.healthPath !== undefined ? { healthPath: r.healthPath } : {}),
    ...(r.source !== undefined ? { source: r.source } : {}),
  });
}

export function parseRouteValue(value: string): RouteValue | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch (e) {
    return { problem: `route is not valid JSON (${(e as Error).message})` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { problem: "route must be a JSON object" };
  const obj = parsed as Record<string, unknown>;
  const hosts = obj.hosts ?? [];
  if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === "string" && HOSTNAME.test(h))) {
    return { problem: '"hosts" must be a list of host names' };
  }
  if (obj.default !== undefined && typeof obj.default !== "boolean") return { problem: '"default" must be true or false' };
  if (obj.sticky !== undefined && typeof obj.sticky !== "boolean") return { problem: '"sticky" must be true or false' };
  if (obj.healthPath !== undefined && (typeof obj.healthPath !== "string" || !obj.healthPath.startsWith("/"))) {
    return { problem: '"healthPath" must be a path starting with /' };
  }
  return {
    hosts: hosts as string[],
    default: (obj.default as boolean | undefined) ?? false,
    ...(obj.sticky !== undefined ? { sticky: obj.sticky as boolean } : {}),
    ...(obj.healthPath !== undefined ? { healthPath: obj.healthPath as string } : {}),
  };
}
