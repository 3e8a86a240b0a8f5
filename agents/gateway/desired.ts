/**
 * The desired state: a pure function from the key-values under <root>/services/ (one consistent read) to the
 * services the gateway should route. Anything unparsable becomes a warning and is skipped, never an error:
 * one bad key must not take the other services down (confd-style templates broke on such values).
 */
import { parseKey, parseRouteValue, parseUpstreamValue, endpointId, type UpstreamMeta, type UpstreamValue } from "../../lib/etcd/keys";

export interface DesiredEndpoint {
  /** Endpoint name (the last key segment). */
  name: string;
  /** "service/endpoint", as the status protocol names it. */
  id: string;
  host: string;
  port: number;
  /** "host:port" as dialled. */
  addr: string;
  weight: number;
  healthPath: string;
  meta: UpstreamMeta;
}

export interface DesiredService {
  name: string;
  hosts: string[];
  isDefault: boolean;
  sticky: boolean;
  /** Sorted by name, so that renders and diffs are stable. */
  endpoints: DesiredEndpoint[];
}

export interface KeyWarning {
  key: string;
  problem: string;
}

export interface DesiredState {
  /** etcd revision the snapshot was read at. */
  revision: number;
  /** Sorted by name. */
  services: DesiredService[];
  /** The service that takes requests no host rule claims ("" when none). */
  defaultService: string;
  warnings: KeyWarning[];
}

export interface KeyValue {
  key: string;
  value: string;
}

export function buildDesiredState(root: string, kvs: KeyValue[], revision: number, defaultHealthPath = "/"): DesiredState {
  const warnings: KeyWarning[] = [];
  const routes = new Map<string, { hosts: string[]; isDefault: boolean; sticky: boolean; healthPath?: string }>();
  const upstreams = new Map<string, { name: string; value: UpstreamValue }[]>();

  for (const { key, value } of kvs) {
    const parsed = parseKey(root, key);
    if (parsed.kind === "upstream") {
      const v = parseUpstreamValue(value);
      if ("problem" in v) {
        warnings.push({ key, problem: v.problem });
        continue;
      }
      const list = upstreams.get(parsed.service) ?? [];
      list.push({ name: parsed.endpoint, value: v });
      upstreams.set(parsed.service, list);
    } else if (parsed.kind === "route") {
      const r = parseRouteValue(value);
      if ("problem" in r) {
        warnings.push({ key, problem: r.problem });
        continue;
      }
      routes.set(parsed.service, { hosts: r.hosts.map((h) => h.toLowerCase()), isDefault: r.default, sticky: r.sticky ?? false, healthPath: r.healthPath });
    } else if (parsed.kind === "unknown") {
      warnings.push({ key, problem: parsed.problem });
    }
  }

  const names = [...new Set([...routes.keys(), ...upstreams.keys()])].sort();
  // A host claimed by two services goes to the first by name; the other gets a warning, so the render stays valid.
  const claimed = new Map<string, string>();
  const services: DesiredService[] = names.map((name) => {
    const route = routes.get(name);
    const hosts: string[] = [];
    for (const h of route?.hosts ?? []) {
      const owner = claimed.get(h);
      if (owner && owner !== name) {
        warnings.push({ key: `${name}/route`, problem: `host '${h}' is already routed to service '${owner}'; ignored for '${name}'` });
        continue;
      }
      if (!owner) {
        claimed.set(h, name);
        hosts.push(h);
      }
    }
    const endpoints = (upstreams.get(name) ?? [])
      .map(({ name: ep, value }): DesiredEndpoint => ({
        name: ep,
        id: endpointId(name, ep),
        host: value.host,
        port: value.port,
        addr: value.addr,
        weight: typeof value.meta.weight === "number" ? value.meta.weight : 1,
        healthPath: value.meta.healthPath ?? route?.healthPath ?? defaultHealthPath,
        meta: value.meta,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    return { name, hosts, isDefault: route?.isDefault ?? false, sticky: route?.sticky ?? false, endpoints };
  });

  // Default service: the one route that says so; else, with a single service and no route at all, that service
  // (the source documents' single "app" with no route key at all must keep working).
  const flagged = services.filter((s) => s.isDefault);
  let defaultService = "";
  if (flagged.length >= 1) {
    defaultService = flagged[0].name;
    for (const extra of flagged.slice(1)) {
      warnings.push({ key: `${extra.name}/route`, problem: `service '${flagged[0].name}' is already the default; '${extra.name}' is not` });
    }
  } else if (services.length === 1) {
    defaultService = services[0].name;
  }
  return { revision, services, defaultService, warnings };
}
