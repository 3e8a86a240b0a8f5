/**
 * The `services` setting: the services the program deploys, each with its own version, image, replicas and
 * routing (Host headers, default, cookie stickiness). Pure: parses the setting's JSON text, fills each
 * service's omitted fields from the `backend.*` settings, and reports one problem per mistake, each naming
 * the setting (`switchyard:services[1].hosts`) and the fix. With `services` empty, `backend.*` describe the
 * one service (the single-service shorthand) and it is the default service.
 */
import { closest, distance } from "fastest-levenshtein";
import { hostNameProblem, nameProblem } from "../lib/etcd/keys";

export interface ServiceConfig {
  /** The etcd key segment and part of every container name. */
  name: string;
  /** Change it and `pulumi up`: a blue-green switch of this service only. */
  version: string;
  /** Any HTTP image; undefined: the demo service. */
  image?: string;
  replicas: number;
  port: number;
  healthPath: string;
  env: string[];
  /** Host headers routed to this service (lower case). */
  hosts: string[];
  /** Takes the requests whose Host no service claims. */
  default: boolean;
  /** Cookie stickiness: a client keeps its server (004's SERVERID cookie). */
  sticky: boolean;
  /** Take over a route key written outside the program (by hand with etcdctl). */
  adoptRoute: boolean;
}

/** What a service omits comes from these (the backend.* settings). */
export type ServiceDefaults = Pick<ServiceConfig, "version" | "replicas" | "port" | "healthPath" | "env"> & { image?: string };

/** A service entry's fields, with what each must be (for the unknown-field message and README). */
export const SERVICE_FIELDS = ["name", "version", "image", "replicas", "port", "healthPath", "env", "hosts", "default", "sticky", "adoptRoute"] as const;

/** The checks validate.ts applies to backend.* too, so both forms of a service obey the same rules. */
export interface ServiceRules {
  versionProblem(version: string): string | undefined;
  imageProblem(image: string): string | undefined;
}

type Field = (typeof SERVICE_FIELDS)[number];

/** "replica" → "replicas": the known field nearest to a misspelt one, if it is near at all. */
export function nearestField(field: string): string | undefined {
  const best = closest(field, [...SERVICE_FIELDS]);
  return distance(field.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

const at = (i: number, field?: string) => `switchyard:services[${i}]${field ? `.${field}` : ""}`;
const setPath = (i: number, field: string, example: string) => `pulumi config set --path 'services[${i}].${field}' ${example}`;

/** Integers and booleans as `pulumi config set --path` may store them: typed, or as their text. */
const asInteger = (v: unknown) => (typeof v === "number" && Number.isInteger(v) ? v : typeof v === "string" && /^\d+$/.test(v.trim()) ? Number(v) : undefined);
const asBoolean = (v: unknown) => (typeof v === "boolean" ? v : v === "true" ? true : v === "false" ? false : undefined);
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === "string");

/**
 * Parses and validates `services` (its JSON text; undefined when unset). Returns the services to deploy —
 * the single-service shorthand from `backend.*` when the list is empty — and pushes every problem.
 */
export function parseServices(text: string | undefined, shorthand: { service: string; serviceSet: boolean }, defaults: ServiceDefaults, rules: ServiceRules, problems: string[]): ServiceConfig[] {
  let list: unknown = [];
  if (text !== undefined) {
    try {
      list = JSON.parse(text);
    } catch {
      list = undefined;
    }
  }
  if (!Array.isArray(list)) {
    problems.push(`switchyard:services is not a list of services; write it in Pulumi.<stack>.yaml as a list of {name, version, hosts, ...}, or with ${setPath(0, "name", "web")}`);
    return [];
  }
  if (list.length === 0) {
    return [{ name: shorthand.service, ...defaults, hosts: [], default: true, sticky: false, adoptRoute: false }];
  }
  if (shorthand.serviceSet) {
    problems.push(`switchyard:backend.service names the single service of the shorthand, but services is set too; name each service in services[i].name and remove backend.service (pulumi config rm backend.service)`);
  }

  const services: ServiceConfig[] = [];
  /** Position in the setting of each parsed service, for messages (entries that are not objects are skipped). */
  const position: number[] = [];
  list.forEach((entry, i) => {
    if (!entry || typeof entry !== "object" || Array.isArray(entry)) {
      problems.push(`${at(i)} is not a service (an object with ${SERVICE_FIELDS.join(", ")}); e.g. ${setPath(i, "name", "web")}`);
      return;
    }
    const e = entry as Record<string, unknown>;
    for (const field of Object.keys(e)) {
      if ((SERVICE_FIELDS as readonly string[]).includes(field)) continue;
      const near = nearestField(field);
      problems.push(`${at(i, field)} is not a field of a service${near ? `; did you mean ${near}?` : ""} (fields: ${SERVICE_FIELDS.join(", ")})`);
    }
    const bad = (field: Field, why: string, fix: string) => problems.push(`${at(i, field)} = ${JSON.stringify(e[field])} ${why}; ${fix}`);

    let name = "";
    if (e.name === undefined) problems.push(`${at(i, "name")} is required (the etcd key segment and part of every container name); ${setPath(i, "name", "web")}`);
    else if (typeof e.name !== "string") bad("name", "is not a string", setPath(i, "name", "web"));
    else {
      name = e.name;
      const p = nameProblem("service", name);
      if (p) bad("name", `cannot be an etcd key segment or part of a container name (${p})`, setPath(i, "name", "web"));
    }

    const version = e.version === undefined ? defaults.version : e.version;
    if (typeof version !== "string" || rules.versionProblem(version)) {
      bad("version", `is not a valid version (${typeof version === "string" ? rules.versionProblem(version) : "not a string"})`, setPath(i, "version", "v2"));
    }

    let image = defaults.image;
    if (e.image !== undefined) {
      if (typeof e.image !== "string") bad("image", "is not a string", `use e.g. myrepo/app:1.2.3, or "" for the demo service`);
      else if (e.image === "") image = undefined;
      else {
        const p = rules.imageProblem(e.image);
        if (p) bad("image", p, `use e.g. myrepo/app:1.2.3, or "" for the demo service`);
        image = e.image;
      }
    }

    const int = (field: "replicas" | "port", lo: number, hi: number, fallback: number): number => {
      if (e[field] === undefined) return fallback;
      const v = asInteger(e[field]);
      if (v === undefined || v < lo || v > hi) {
        bad(field, `is not a whole number in ${lo}-${hi}`, setPath(i, field, String(fallback)));
        return fallback;
      }
      return v;
    };
    const replicas = int("replicas", 1, 20, defaults.replicas);
    const port = int("port", 1, 65535, defaults.port);

    let healthPath = defaults.healthPath;
    if (e.healthPath !== undefined) {
      if (typeof e.healthPath !== "string" || !e.healthPath.startsWith("/")) bad("healthPath", "must be a path starting with '/'", setPath(i, "healthPath", "/healthz"));
      else healthPath = e.healthPath;
    }

    let env = defaults.env;
    if (e.env !== undefined) {
      if (!isStringList(e.env)) bad("env", "is not a list of NAME=value strings", setPath(i, "env[0]", "LOG_LEVEL=debug"));
      else {
        env = e.env;
        for (const x of env) if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(x)) problems.push(`${at(i, "env")} contains '${x}', which is not NAME=value (e.g. LOG_LEVEL=debug)`);
      }
    }

    let hosts: string[] = [];
    if (e.hosts !== undefined) {
      if (!isStringList(e.hosts)) bad("hosts", "is not a list of host names", setPath(i, "hosts[0]", "a.b.com"));
      else {
        for (const h of e.hosts) {
          const p = hostNameProblem(h);
          if (p) problems.push(`${at(i, "hosts")}: ${p}; list host names only (no scheme, port or path), e.g. ${setPath(i, "hosts[0]", "a.b.com")}`);
        }
        hosts = [...new Set(e.hosts.map((h) => h.toLowerCase()))];
      }
    }

    const flag = (field: "default" | "sticky" | "adoptRoute", fallback: boolean): boolean => {
      if (e[field] === undefined) return fallback;
      const v = asBoolean(e[field]);
      if (v === undefined) {
        bad(field, "is not true or false", setPath(i, field, "true"));
        return fallback;
      }
      return v;
    };
    // A single service takes every request unless it says otherwise; among several, only the one that says so.
    const isDefault = flag("default", list.length === 1);
    position.push(i);
    services.push({ name, version: String(version), ...(image ? { image } : {}), replicas, port, healthPath, env, hosts, default: isDefault, sticky: flag("sticky", false), adoptRoute: flag("adoptRoute", false) });
  });

  // Across services: names unique, each host routed to one service, at most one default.
  const byName = new Map<string, number>();
  services.forEach((s, k) => {
    const i = position[k];
    if (!s.name) return;
    const first = byName.get(s.name);
    if (first !== undefined) problems.push(`${at(i, "name")} = '${s.name}' is already the name of services[${first}]; service names must be unique (rename one of them)`);
    else byName.set(s.name, i);
  });
  const hostOwner = new Map<string, { i: number; name: string }>();
  services.forEach((s, k) => {
    const i = position[k];
    for (const h of s.hosts) {
      const first = hostOwner.get(h);
      if (first !== undefined) problems.push(`${at(i, "hosts")} claims '${h}', which services[${first.i}] ('${first.name}') claims too; a host is routed to one service (remove it from one of them)`);
      else hostOwner.set(h, { i, name: s.name });
    }
  });
  const defaults_ = services.map((s, k) => (s.default ? position[k] : -1)).filter((i) => i >= 0);
  if (defaults_.length > 1) {
    problems.push(`${defaults_.map((i) => at(i, "default")).join(" and ")} are all true; only one service takes the requests for unknown hosts (set default: false on all but one, e.g. ${setPath(defaults_[1], "default", "false")})`);
  }
  return services;
}
