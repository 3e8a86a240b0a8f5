/**
 * What the registrator reads from a container and what it registers for it. Pure: the Docker adapter turns an
 * inspect result into `ContainerFacts`, and `registrationFor` decides the key and value.
 *
 * Labels (prefix "switchyard" by default, `--label-prefix` changes it):
 *   switchyard.service=<name>       required: the service to register under (containers without it are ignored)
 *   switchyard.port=<port>[/tcp]    the container port to register when the container publishes several
 *   switchyard.endpoint=<name>      the endpoint name (default "<registrator id>-<container name>")
 *   switchyard.version=<version>    copied into the value's metadata
 *   switchyard.weight=<0-256>       copied into the value (gateway load-balancing weight)
 *   switchyard.health-path=</path>  copied into the value (path the gateway probes)
 */
import { formatUpstreamValue, nameProblem, upstreamKey, type UpstreamMeta } from "../../lib/etcd/keys";

export const DEFAULT_LABEL_PREFIX = "switchyard";

export interface LabelNames {
  service: string;
  port: string;
  endpoint: string;
  version: string;
  weight: string;
  healthPath: string;
}

export function labelNames(prefix = DEFAULT_LABEL_PREFIX): LabelNames {
  return {
    service: `${prefix}.service`,
    port: `${prefix}.port`,
    endpoint: `${prefix}.endpoint`,
    version: `${prefix}.version`,
    weight: `${prefix}.weight`,
    healthPath: `${prefix}.health-path`,
  };
}

export interface PublishedPort {
  containerPort: number;
  protocol: string;
  hostIp: string;
  hostPort: number;
}

export type HealthState = "none" | "starting" | "healthy" | "unhealthy";

/** The facts about one container that registration depends on. */
export interface ContainerFacts {
  id: string;
  /** Without Docker's leading "/". */
  name: string;
  /** The image as the container was started with it ("jwilder/whoami"), not the digest. */
  image: string;
  labels: Record<string, string>;
  /** Running, not paused, not restarting: able to serve. */
  running: boolean;
  health: HealthState;
  ports: PublishedPort[];
}

/** The subset of `docker inspect` that `factsFromInspect` reads (dockerode's ContainerInspectInfo fits). */
export interface InspectLike {
  Id: string;
  Name: string;
  Config: { Image: string; Labels?: Record<string, string> | null };
  State: { Running: boolean; Paused: boolean; Restarting: boolean; Health?: { Status: string } | null };
  NetworkSettings: { Ports?: Record<string, { HostIp: string; HostPort: string }[] | null> | null };
}

export function factsFromInspect(info: InspectLike): ContainerFacts {
  const ports: PublishedPort[] = [];
  for (const [spec, bindings] of Object.entries(info.NetworkSettings.Ports ?? {})) {
    const [port, protocol = "tcp"] = spec.split("/");
    for (const b of bindings ?? []) {
      const hostPort = Number(b.HostPort);
      if (!Number.isInteger(hostPort) || hostPort <= 0) continue;
      ports.push({ containerPort: Number(port), protocol, hostIp: b.HostIp, hostPort });
    }
  }
  const status = info.State.Health?.Status;
  const health: HealthState = status === "healthy" || status === "unhealthy" || status === "starting" ? status : "none";
  return {
    id: info.Id,
    name: info.Name.replace(/^\//, ""),
    image: info.Config.Image,
    labels: info.Config.Labels ?? {},
    running: info.State.Running && !info.State.Paused && !info.State.Restarting,
    health,
    ports,
  };
}

export interface RegistrationSettings {
  root: string;
  /** This registrator's id: part of default endpoint names and the ownership mark in every value. */
  registratorId: string;
  /** The address other hosts reach this host's published ports at. */
  hostIp: string;
  labels: LabelNames;
}

export interface Registration {
  key: string;
  value: string;
  service: string;
  endpoint: string;
  addr: string;
  containerId: string;
  containerName: string;
}

export type RegistrationDecision =
  /** Should be in etcd now. */
  | { kind: "register"; registration: Registration }
  /** Not ours to register: no service label. */
  | { kind: "ignored" }
  /** Labelled, but not (yet) able to serve: stopped, paused, health starting or unhealthy. */
  | { kind: "inactive"; reason: string }
  /** Labelled but misconfigured: logged as a warning so the operator can fix the labels. */
  | { kind: "invalid"; problem: string };

export const SOURCE = "registrator";

export function registrationFor(c: ContainerFacts, s: RegistrationSettings): RegistrationDecision {
  const service = c.labels[s.labels.service];
  if (service === undefined) return { kind: "ignored" };
  if (!c.running) return { kind: "inactive", reason: "not running" };
  if (c.health === "starting") return { kind: "inactive", reason: "health check starting" };
  if (c.health === "unhealthy") return { kind: "inactive", reason: "unhealthy" };

  const serviceProblem = nameProblem("service", service);
  if (serviceProblem) return { kind: "invalid", problem: `label ${s.labels.service}: ${serviceProblem}` };
  const endpoint = c.labels[s.labels.endpoint] ?? `${s.registratorId}-${c.name}`;
  const endpointProblem = nameProblem("endpoint", endpoint);
  if (endpointProblem) {
    return { kind: "invalid", problem: `${endpointProblem}${c.labels[s.labels.endpoint] === undefined ? ` (set the label ${s.labels.endpoint})` : ""}` };
  }

  const port = choosePort(c, s.labels);
  if ("problem" in port) return { kind: "invalid", problem: port.problem };
  const addr = s.hostIp.includes(":") ? `[${s.hostIp}]:${port.hostPort}` : `${s.hostIp}:${port.hostPort}`;

  const meta: UpstreamMeta = { source: SOURCE, registrator: s.registratorId, host: s.hostIp, container: c.name, image: c.image };
  const version = c.labels[s.labels.version];
  if (version !== undefined && version !== "") meta.version = version;
  const weight = c.labels[s.labels.weight];
  if (weight !== undefined) {
    const w = Number(weight);
    if (!/^\d+$/.test(weight) || w > 256) return { kind: "invalid", problem: `label ${s.labels.weight}='${weight}' must be an integer 0-256` };
    meta.weight = w;
  }
  const healthPath = c.labels[s.labels.healthPath];
  if (healthPath !== undefined) {
    if (!healthPath.startsWith("/")) return { kind: "invalid", problem: `label ${s.labels.healthPath}='${healthPath}' must start with /` };
    meta.healthPath = healthPath;
  }
  return {
    kind: "register",
    registration: {
      key: upstreamKey(s.root, service, endpoint),
      value: formatUpstreamValue(addr, meta),
      service,
      endpoint,
      addr,
      containerId: c.id,
      containerName: c.name,
    },
  };
}

/** The published TCP port to register, registered at HOST_IP (never the binding's own IP, often 0.0.0.0). */
function choosePort(c: ContainerFacts, labels: LabelNames): { hostPort: number } | { problem: string } {
  const tcp = c.ports.filter((p) => p.protocol === "tcp");
  const wanted = c.labels[labels.port];
  let chosen: PublishedPort | undefined;
  if (wanted !== undefined) {
    const m = /^(\d+)(\/tcp)?$/.exec(wanted.trim());
    if (!m) return { problem: `label ${labels.port}='${wanted}' must be a container port number (TCP), e.g. 8080` };
    chosen = tcp.find((p) => p.containerPort === Number(m[1]));
    if (!chosen) return { problem: `label ${labels.port}=${m[1]} but container port ${m[1]}/tcp is not published (run with -p ${m[1]})` };
  } else {
    const distinct = [...new Set(tcp.map((p) => p.containerPort))].sort((a, b) => a - b);
    if (distinct.length === 0) return { problem: "publishes no TCP port: run it with -p <container port> so other hosts can reach it" };
    if (distinct.length > 1) return { problem: `publishes several ports (${distinct.join(", ")}): set the label ${labels.port} to the one to register` };
    chosen = tcp.find((p) => p.containerPort === distinct[0]);
  }
  return { hostPort: chosen!.hostPort };
}
