/**
 * What the proxy should run right now: the desired services plus what only the agent knows (endpoint health,
 * endpoints still draining). Pure. Drivers get the whole view every time (level-triggered) and work out their
 * own runtime diff; the agent only decides whether the *structure* changed (needs render + reload) or only
 * membership (runtime update, no reload).
 */
import type { EndpointHealth } from "../../lib/etcd/status";
import type { DesiredEndpoint, DesiredState } from "./desired";

/** A desired endpoint as routed: its address and weight plus what only the agent knows. */
export interface RoutedEndpoint extends Pick<DesiredEndpoint, "name" | "id" | "host" | "port" | "addr" | "weight"> {
  /** True when the proxy should send new requests to it (healthy and not draining). */
  enabled: boolean;
  health: EndpointHealth;
  reason?: string;
  draining: boolean;
}

export interface ServiceView {
  name: string;
  /** Backend / upstream identifier safe for both proxies' config syntax. */
  backend: string;
  hosts: string[];
  isDefault: boolean;
  sticky: boolean;
  endpoints: RoutedEndpoint[];
}

export interface ProxyView {
  services: ServiceView[];
  defaultService: string;
}

export interface HealthView {
  health: EndpointHealth;
  reason?: string;
}

/** An endpoint that left the desired state and still receives no new requests until its drain ends. */
export interface DrainingEndpoint {
  service: string;
  endpoint: RoutedEndpoint;
  until: number;
}

export const backendName = (service: string) => `sy_${service.replace(/[^A-Za-z0-9_.-]/g, "_")}`;

export function buildProxyView(desired: DesiredState, healthOf: (id: string, addr: string) => HealthView, draining: DrainingEndpoint[]): ProxyView {
  const services = desired.services.map((s): ServiceView => {
    const endpoints: RoutedEndpoint[] = s.endpoints.map((e) => {
      const h = healthOf(e.id, e.addr);
      return {
        name: e.name,
        id: e.id,
        host: e.host,
        port: e.port,
        addr: e.addr,
        weight: e.weight,
        enabled: h.health === "healthy" && e.weight > 0,
        health: h.health,
        ...(h.reason ? { reason: h.reason } : {}),
        draining: false,
      };
    });
    // Panic mode: when no endpoint is healthy, a 503 is certain, while health checks can be wrong all at once
    // (a starved agent times every probe out together). Route to the once-seen, now-unhealthy ones anyway,
    // as nginx does when all its peers are marked failed. Pending (never checked) endpoints stay out.
    if (!endpoints.some((e) => e.enabled)) {
      for (const e of endpoints) {
        if (e.health === "unhealthy" && e.weight > 0) {
          e.enabled = true;
          e.reason = `${e.reason ?? "unhealthy"}; routed anyway: no endpoint of '${s.name}' is healthy`;
        }
      }
    }
    const names = new Set(endpoints.map((e) => e.name));
    for (const d of draining) {
      if (d.service === s.name && !names.has(d.endpoint.name)) {
        endpoints.push({ ...d.endpoint, enabled: false, draining: true, health: "unhealthy", reason: "draining: removed from etcd" });
      }
    }
    endpoints.sort((a, b) => a.name.localeCompare(b.name));
    return { name: s.name, backend: backendName(s.name), hosts: s.hosts, isDefault: s.name === desired.defaultService, sticky: s.sticky, endpoints };
  });
  return { services, defaultService: desired.defaultService };
}

/** Endpoints that were routed in `before` and are gone from `desired`: they start draining now. */
export function newlyRemoved(before: ProxyView | undefined, desired: DesiredState, now: number, drainMs: number): DrainingEndpoint[] {
  if (!before) return [];
  const wanted = new Set(desired.services.flatMap((s) => s.endpoints.map((e) => e.id)));
  const out: DrainingEndpoint[] = [];
  for (const s of before.services) {
    for (const e of s.endpoints) {
      if (!e.draining && !wanted.has(e.id)) out.push({ service: s.name, endpoint: e, until: now + drainMs });
    }
  }
  return out;
}

/** The part of the view that lives in the rendered config file; a change here needs a reload. */
export function structureKey(view: ProxyView): string {
  return JSON.stringify({
    d: view.defaultService,
    s: view.services.map((s) => [s.name, s.backend, s.hosts, s.sticky]),
  });
}

/** The part applied at runtime (no reload). */
export function membershipKey(view: ProxyView): string {
  return JSON.stringify(view.services.map((s) => [s.name, s.endpoints.map((e) => [e.name, e.addr, e.weight, e.enabled])]));
}

export function countEndpoints(view: ProxyView): Record<string, { total: number; enabled: number }> {
  const out: Record<string, { total: number; enabled: number }> = {};
  for (const s of view.services) {
    out[s.name] = { total: s.endpoints.filter((e) => !e.draining).length, enabled: s.endpoints.filter((e) => e.enabled).length };
  }
  return out;
}
