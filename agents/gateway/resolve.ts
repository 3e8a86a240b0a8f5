/**
 * Endpoint host names → IP addresses, before anything reaches a proxy. Neither proxy can dial a name at run
 * time: nginx's Lua balancer (`set_current_peer`) takes only an IP, and haproxy's runtime API (`add server`,
 * `set server addr`) likewise. Program-declared backends are registered by container name (the stack's
 * network resolves it), registrators and hand-written keys usually give IPs. The key's own "host:port" stays
 * in `addr`, which is what the status reports and the Upstream gate compares; only `host` (what the proxy
 * dials) becomes the address. Resolved again at every reconcile (and the periodic resync), so a container that
 * comes back with a new IP is followed.
 */
import dns from "node:dns/promises";
import net from "node:net";
import type { DesiredState } from "./desired";

export type Lookup = (host: string) => Promise<string>;

export const systemLookup: Lookup = async (host) => (await dns.lookup(host, { family: 4 })).address;

export interface ResolveResult {
  desired: DesiredState;
  /** Names that did not resolve: those endpoints keep the name, and their health checks fail. */
  unresolved: { endpoint: string; host: string; error: string }[];
}

export async function resolveDesired(desired: DesiredState, lookup: Lookup): Promise<ResolveResult> {
  const names = new Set(desired.services.flatMap((s) => s.endpoints.map((e) => e.host)).filter((h) => net.isIP(h) === 0));
  const resolved = new Map<string, string>();
  const errors = new Map<string, string>();
  await Promise.all([...names].map(async (h) => {
    try {
      resolved.set(h, await lookup(h));
    } catch (e) {
      errors.set(h, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
    }
  }));
  const unresolved: ResolveResult["unresolved"] = [];
  const services = desired.services.map((s) => ({
    ...s,
    endpoints: s.endpoints.map((e) => {
      if (errors.has(e.host)) unresolved.push({ endpoint: e.id, host: e.host, error: errors.get(e.host)! });
      const ip = resolved.get(e.host);
      return ip ? { ...e, host: ip } : e;
    }),
  }));
  return { desired: { ...desired, services }, unresolved };
}
