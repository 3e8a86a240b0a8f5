/**
 * Pure decisions of the provider doubles: which changed property replaces a resource and which updates it,
 * per the real providers' schemas. Each table cites its source. Used by docker.ts and tls.ts.
 */
import { isDeepStrictEqual } from "node:util";

type Props = Record<string, unknown>;

/** How the engine marks a value it does not know yet (preview): the SDK's `unknownValue`. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface PropRule {
  /** A change replaces the resource (Terraform `ForceNew: true`). */
  forceNew?: boolean;
  /** The provider fills it in when the program leaves it out (Terraform `Computed: true`): no diff then. */
  computed?: boolean;
}

/**
 * docker_container, kreuzwerker/terraform-provider-docker v3.9.0 (the `upstream` submodule of
 * pulumi/pulumi-docker v4.11.2, commit d7d7ff7f), internal/provider/resource_docker_container.go, as the
 * Pulumi names of the schema keys. Not ForceNew, so updated in place: rm, start, wait, waitTimeout, attach,
 * logs, mustRun, restart, maxRetryCount, removeVolumes, tmpfs, destroyGraceSeconds, memory,
 * memoryReservation, memorySwap, cpuShares, cpuSet, healthcheck, containerReadRefreshTimeoutMilliseconds,
 * init, cpuPeriod, cpuQuota. Of these, resourceDockerContainerUpdate (resource_docker_container_funcs.go)
 * applies only CONTAINER_LIVE_UPDATE to the running container; the rest change the state only.
 */
export const CONTAINER_RULES: Record<string, PropRule> = {
  name: { forceNew: true }, rm: {}, readOnly: { forceNew: true }, start: {}, wait: {}, waitTimeout: {}, attach: {}, logs: {},
  mustRun: {}, image: { forceNew: true }, hostname: { forceNew: true, computed: true }, domainname: { forceNew: true },
  command: { forceNew: true, computed: true }, entrypoints: { forceNew: true, computed: true }, user: { forceNew: true },
  dns: { forceNew: true }, dnsOpts: { forceNew: true }, dnsSearches: { forceNew: true }, publishAllPorts: { forceNew: true },
  restart: {}, maxRetryCount: {}, workingDir: { forceNew: true }, removeVolumes: {}, capabilities: { forceNew: true },
  securityOpts: { forceNew: true, computed: true }, runtime: { forceNew: true, computed: true },
  stopSignal: { forceNew: true, computed: true }, stopTimeout: { forceNew: true, computed: true }, mounts: { forceNew: true },
  volumes: { forceNew: true }, tmpfs: {}, ports: { forceNew: true }, hosts: { forceNew: true }, ulimits: { forceNew: true },
  envs: { forceNew: true, computed: true }, privileged: { forceNew: true }, devices: { forceNew: true }, destroyGraceSeconds: {},
  labels: { forceNew: true, computed: true }, memory: {}, memoryReservation: {}, memorySwap: {}, shmSize: { forceNew: true, computed: true },
  cpuShares: {}, cpuSet: {}, logDriver: { forceNew: true, computed: true },
  // Not Computed: a daemon default the provider reads back (Read sets log_opts from HostConfig.LogConfig.Config)
  // shows up as a change on the next up and replaces the container (kreuzwerker/terraform-provider-docker#873).
  logOpts: { forceNew: true },
  networkMode: { forceNew: true }, networksAdvanced: { forceNew: true }, pidMode: { forceNew: true }, usernsMode: { forceNew: true },
  uploads: { forceNew: true }, healthcheck: { computed: true }, containerReadRefreshTimeoutMilliseconds: {},
  sysctls: { forceNew: true }, ipcMode: { forceNew: true, computed: true }, groupAdds: { forceNew: true }, init: { computed: true },
  tty: { forceNew: true }, stdinOpen: { forceNew: true }, storageOpts: { forceNew: true }, gpus: { forceNew: true },
  cpus: { forceNew: true }, cpuPeriod: {}, cpuQuota: {}, cgroupnsMode: { forceNew: true }, cgroupParent: { forceNew: true },
};

/** resourceDockerContainerUpdate: the attributes whose change calls ContainerUpdate on the running container. */
export const CONTAINER_LIVE_UPDATE = ["restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "cpuSet", "memorySwap"];

/**
 * The schema defaults the provider puts into the inputs (Terraform `Default:` in the same file), so that the
 * state and `pulumi preview --diff` show them as the real provider does.
 */
export const CONTAINER_DEFAULTS: Props = {
  rm: false, readOnly: false, start: true, wait: false, waitTimeout: 60, attach: false, logs: false, mustRun: true,
  restart: "no", removeVolumes: true, networkMode: "bridge", tty: false, stdinOpen: false,
  containerReadRefreshTimeoutMilliseconds: 15000,
};

/** docker_network (resource_docker_network.go): everything ForceNew; driver, options, internal, ipamConfig Computed. */
export const NETWORK_RULES: Record<string, PropRule> = {
  name: { forceNew: true }, labels: { forceNew: true }, checkDuplicate: { forceNew: true }, driver: { forceNew: true, computed: true },
  options: { forceNew: true, computed: true }, internal: { forceNew: true, computed: true }, attachable: { forceNew: true },
  ingress: { forceNew: true }, ipv6: { forceNew: true }, ipamDriver: { forceNew: true }, ipamOptions: { forceNew: true },
  ipamConfigs: { forceNew: true, computed: true },
};

/** docker_volume (resource_docker_volume.go): everything ForceNew; name and driver Computed. */
export const VOLUME_RULES: Record<string, PropRule> = {
  name: { forceNew: true, computed: true }, labels: { forceNew: true }, driver: { forceNew: true, computed: true }, driverOpts: { forceNew: true },
};

/** docker_image (resource_docker_image.go), @pulumi/docker's RemoteImage: keepLocally and forceRemove update in place. */
export const REMOTE_IMAGE_RULES: Record<string, PropRule> = {
  name: { forceNew: true }, keepLocally: {}, pullTriggers: { forceNew: true }, forceRemove: {}, build: {}, triggers: { forceNew: true },
  platform: { forceNew: true },
};

const isEmpty = (v: unknown) =>
  v === undefined || v === null || v === "" || v === false || v === 0 ||
  (Array.isArray(v) && v.length === 0) || (typeof v === "object" && v !== null && !Array.isArray(v) && Object.keys(v).length === 0);

/** Nested values a provider fills in when left out (ports' ip and protocol defaults, durations "0s"). */
const NESTED_DEFAULTS = new Set<unknown>(["0.0.0.0", "tcp", "0s"]);

/**
 * Whether the new (declared) value `n` leaves the old (state) value `o` as it is. Nested: an object key the
 * program leaves out keeps the old value if it is empty or a provider default, or `computedNested` names it.
 */
export function sameValue(o: unknown, n: unknown, computedNested: ReadonlySet<string> = new Set()): boolean {
  if (n === UNKNOWN) return false;
  if (n === undefined || n === null) return isEmpty(o);
  if (Array.isArray(n)) {
    return Array.isArray(o) && o.length === n.length && n.every((x, i) => sameValue(o[i], x, computedNested));
  }
  if (typeof n === "object") {
    if (typeof o !== "object" || o === null || Array.isArray(o)) return false;
    const oo = o as Props;
    const nn = n as Props;
    for (const k of new Set([...Object.keys(oo), ...Object.keys(nn)])) {
      if (nn[k] === undefined && (computedNested.has(k) || isEmpty(oo[k]) || NESTED_DEFAULTS.has(oo[k]))) continue;
      if (!sameValue(oo[k], nn[k], computedNested)) return false;
    }
    return true;
  }
  return isDeepStrictEqual(o, n) || String(o) === String(n);
}

export interface Diff {
  changed: string[];
  replaces: string[];
}

/** Top-level diff of declared inputs against the state, by the rules of one resource type. */
export function diffByRules(rules: Record<string, PropRule>, olds: Props, news: Props, computedNested?: ReadonlySet<string>): Diff {
  const changed: string[] = [];
  for (const [k, rule] of Object.entries(rules)) {
    const n = news[k];
    if ((n === undefined || n === null) && rule.computed) continue;
    if (!sameValue(olds[k], n, computedNested)) changed.push(k);
  }
  return { changed, replaces: changed.filter((k) => rules[k].forceNew) };
}

/** Inputs the schema does not have: the doubles refuse them at check rather than ignore them. */
export function unknownKeys(rules: Record<string, PropRule>, news: Props): string[] {
  return Object.keys(news).filter((k) => !(k in rules) && !k.startsWith("__") && news[k] !== undefined && news[k] !== null);
}
