/**
 * Pure logic of the Route provider: check (normalize and validate a service's route, derive its key and the
 * value written) and diff. Ownership rules and messages are the shared ones (provider/etcd-key/spec.ts).
 */
import { formatRouteValue, hostNameProblem, nameProblem, parseRouteValue, routeKey } from "../../lib/etcd/keys";
import { checkOwnership, checkRoot, diffOwnedKey, isUnknown, requireKnown, UNKNOWN, type CheckFailure, type KeyOwner, type OwnedKeyDiff, type OwnedKeyProps } from "../etcd-key/spec";

/** How messages name a Route and the way to take a foreign route key over. */
export const ROUTE_OWNER: KeyOwner = {
  kind: "Route",
  howToAdopt: "set adopt: true on this Route (in switchyard's config: adoptRoute: true on the service in `services`)",
};

/** Inputs after check (key: <root>/services/<service>/route; value: formatRouteValue with source "pulumi"). */
export interface RouteProps extends OwnedKeyProps {
  service: string;
  /** Host headers routed to the service, lower case, sorted. */
  hosts: string[];
  /** Takes requests whose Host no service claims. */
  default: boolean;
  /** Cookie stickiness (SERVERID). */
  sticky: boolean;
}

export interface RouteOuts extends RouteProps {
  revision: number;
  gateResult?: { gateways: string[]; noGateways: boolean; waitedMs: number };
}

type Loose = Record<string, unknown>;

export function checkRoute(news: Loose): { inputs: Loose; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Loose = { ...news };
  checkRoot(news, inputs, fail);

  const service = news.service;
  if (service === undefined) fail("service", "service is required");
  else if (service !== UNKNOWN) {
    const p = typeof service === "string" ? nameProblem("service", service) : "service must be a string";
    if (p) fail("service", p);
  }

  const hosts = news.hosts ?? [];
  if (!isUnknown(hosts)) {
    if (!Array.isArray(hosts) || !hosts.every((h) => typeof h === "string")) fail("hosts", "hosts must be a list of host names");
    else {
      for (const h of hosts as string[]) {
        const p = hostNameProblem(h);
        if (p) fail("hosts", p);
      }
      inputs.hosts = [...new Set((hosts as string[]).map((h) => h.toLowerCase()))].sort();
    }
  }
  for (const flag of ["default", "sticky"] as const) {
    const v = news[flag] ?? false;
    if (v !== UNKNOWN && typeof v !== "boolean") fail(flag, `${flag} must be true or false`);
    inputs[flag] = v;
  }
  checkOwnership(news, inputs, fail);

  if (failures.length === 0) {
    const parts = [inputs.root, service, inputs.hosts, inputs.default, inputs.sticky];
    if (parts.some(isUnknown)) {
      inputs.key = isUnknown([inputs.root, service]) ? UNKNOWN : routeKey(inputs.root as string, service as string);
      inputs.value = UNKNOWN;
    } else {
      inputs.key = routeKey(inputs.root as string, service as string);
      inputs.value = formatRouteValue({ hosts: inputs.hosts as string[], default: inputs.default as boolean, sticky: inputs.sticky as boolean, source: "pulumi" });
      // The gateways read it with parseRouteValue: never write what they would skip.
      const back = parseRouteValue(inputs.value as string);
      if ("problem" in back) fail("hosts", back.problem);
    }
  }
  return { inputs, failures };
}

export const requireRouteProps = (news: Loose): RouteProps => requireKnown<RouteProps>("Route", checkRoute(news));

/** Another service or root is another key → replace; other hosts, default or sticky → one gated update. */
export function diffRoute(olds: Loose, news: Loose): OwnedKeyDiff {
  return diffOwnedKey(olds, news, ["key", "root", "service"], ["value"]);
}
