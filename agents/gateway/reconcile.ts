/**
 * The decide step of the gateway's reconcile (read → decide → apply → report), pure: from the desired state
 * (already resolved), the health verdicts, what is applied and what is draining, it works out the view the
 * proxy should run and which kind of change that is. Also the adoption rule for a new agent that finds a
 * proxy running: what that proxy routes is taken as applied, and the endpoints it sends traffic to start
 * healthy, so a restart never takes a serving endpoint out of rotation before the agent's own checks say so.
 */
import type { DesiredState } from "./desired";
import type { AdoptedProxy } from "./drivers/types";
import { backendName, buildProxyView, membershipKey, newlyRemoved, structureKey, type DrainingEndpoint, type HealthView, type ProxyView, type RoutedEndpoint } from "./view";

/** What the running proxy has, as far as the agent knows. */
export interface Applied {
  view: ProxyView;
  structure: string;
  /** "" when unknown: the next reconcile pushes membership again. */
  membership: string;
}

export interface DecideInput {
  desired: DesiredState;
  healthOf: (id: string, addr: string) => HealthView;
  applied?: Applied;
  draining: DrainingEndpoint[];
  now: number;
  drainMs: number;
  proxyRunning: boolean;
  /** Benchmark baseline: membership changes by render + reload too (what confd did). */
  reloadPerChange?: boolean;
}

export type Change = "structure" | "membership" | "none";

export interface Decision {
  view: ProxyView;
  structure: string;
  membership: string;
  change: Change;
  /** Endpoints still draining after this decision (the ones that ended are gone). */
  draining: DrainingEndpoint[];
  /** When the earliest drain ends (epoch ms): the agent reconciles again then. */
  nextDrainEnd?: number;
}

export function decide(i: DecideInput): Decision {
  const still = i.draining.filter((d) => d.until > i.now);
  const ids = new Set(still.map((d) => d.endpoint.id));
  const draining = [...still, ...newlyRemoved(i.applied?.view, i.desired, i.now, i.drainMs).filter((d) => !ids.has(d.endpoint.id))];
  const view = buildProxyView(i.desired, i.healthOf, draining);
  const structure = structureKey(view);
  const membership = membershipKey(view);
  let change: Change = "none";
  if (!i.applied || i.applied.structure !== structure || !i.proxyRunning) change = "structure";
  else if (i.applied.membership !== membership) change = i.reloadPerChange ? "structure" : "membership";
  return { view, structure, membership, change, draining, ...(draining.length ? { nextDrainEnd: Math.min(...draining.map((d) => d.until)) } : {}) };
}

/**
 * A proxy left running by a previous agent, as the new agent's starting point: the applied view is what the
 * proxy routes (so endpoints it routes that left etcd meanwhile drain like any removal), and `adoptHealthy`
 * lists the desired endpoints it sends traffic to at the same address, to start healthy.
 * `desired` must be resolved (resolve.ts): the proxy knows addresses, not names.
 */
export function adoptProxy(adopted: AdoptedProxy, desired: DesiredState): { applied: Applied; adoptHealthy: { id: string; addr: string }[] } {
  const services = desired.services.map((s) => {
    const backend = backendName(s.name);
    const byName = new Map(s.endpoints.map((e) => [e.name, e]));
    const endpoints: RoutedEndpoint[] = adopted.servers
      .filter((r) => r.backend === backend)
      .map((r) => {
        const want = byName.get(r.server);
        const same = want !== undefined && want.host === r.host && want.port === r.port;
        return {
          name: r.server,
          id: `${s.name}/${r.server}`,
          host: r.host,
          port: r.port,
          addr: same ? want.addr : `${r.host}:${r.port}`,
          weight: r.weight ?? 1,
          enabled: r.enabled,
          health: r.enabled ? "healthy" : "unhealthy",
          draining: false,
        };
      });
    return { name: s.name, backend, hosts: s.hosts, isDefault: s.name === desired.defaultService, sticky: s.sticky, endpoints };
  });
  const view: ProxyView = { services, defaultService: desired.defaultService };
  const adoptHealthy: { id: string; addr: string }[] = [];
  for (const s of desired.services) {
    const backend = backendName(s.name);
    for (const e of s.endpoints) {
      if (adopted.servers.some((r) => r.backend === backend && r.server === e.name && r.enabled && r.host === e.host && r.port === e.port)) adoptHealthy.push({ id: e.id, addr: e.addr });
    }
  }
  return { applied: { view, structure: adopted.structure ?? "", membership: "" }, adoptHealthy };
}
