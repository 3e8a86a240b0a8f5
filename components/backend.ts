/**
 * Backend: one version of a service — `replicas` containers on each backend host, each named with the
 * version, and one Upstream (etcd key, gated on the gateways) per container. Blue and green are therefore
 * distinct resources with distinct names: a switch creates the new version's containers and keys first,
 * and Pulumi deletes the old keys (waiting for the gateways to drain them) before the old containers.
 *
 * The image is the demo service (agents/backend) built on each host, unless `image` names any HTTP image.
 */
import { settingDefault } from "../config/settings";
import { ConfigError } from "../config/validate";
import { nameProblem } from "../lib/etcd/keys";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { EtcdConnection } from "../lib/etcd/client";
import { upstreamForContainer, type Upstream, type UpstreamGateSettings } from "../provider/upstream";
import type { Host } from "../targets/host";
import { leastPrivilege } from "./hardening";
import { builtImage, DEFAULT_BASE_IMAGE, prepareContext, type ContextSpec } from "./image";
import { CONTAINER_IGNORE_CHANGES } from "./container-options";

export const BACKEND_IMAGE_SPEC: ContextSpec = { dockerDir: "agents/backend/image", bundles: { "backend.js": "agents/backend/server.ts" } };
/** The demo image probes its own health endpoint (it has node, not curl). */
export const DEMO_HEALTH_COMMAND = ["CMD", "node", "/opt/switchyard/backend.js", "--check"];

export interface BackendArgs {
  /** Service name: the etcd key segment and part of every container name. */
  service: string;
  /** The version: part of every container and resource name. Changing it is the blue-green switch. */
  version: string;
  /** Containers per backend host. Default 2. */
  replicas?: number;
  /** Port the service listens on inside its container. Default 8080. */
  port?: number;
  /** Any image serving HTTP on `port`; default: the demo service, built on each host. */
  image?: pulumi.Input<string>;
  /** Path the gateways (and the demo image's healthcheck) probe. Default "/healthz". */
  healthPath?: string;
  /**
   * The container healthcheck (exec form). Default: the demo image probes itself; a custom image gets
   * none unless given here (the gateways' active health checks still apply).
   */
  healthcheck?: docker.types.input.ContainerHealthcheck;
  /** Backend hosts; each runs `replicas` containers. */
  hosts: Host[];
  /** Prefix of container names ("switchyard-dev"). */
  prefix: string;
  /** Extra labels on every container. Never the registrator's `switchyard.service`: these are registered by their Upstream. */
  labels?: Record<string, string>;
  /** Extra environment ("FAIL_HEALTH=1" makes the demo service report itself unhealthy: a bad release). */
  envs?: string[];
  /** Base of the demo image. Default debian:bookworm-slim. */
  baseImage?: string;
  /** Platform of the demo image; default each Docker host's own (see builtImage). */
  platform?: string;
  /** Seconds a removed container gets to finish in-flight requests after SIGTERM. Default 10. */
  stopGraceSeconds?: number;
  /** Register each container in etcd through an Upstream. Omit to run the containers only. */
  upstream?: {
    connection: pulumi.Input<EtcdConnection>;
    root?: pulumi.Input<string>;
    gate?: pulumi.Input<Partial<UpstreamGateSettings>>;
  };
}

export interface BackendReplica {
  /** Pulumi resource name of the container (its Upstream adds "-upstream"). */
  resourceName: string;
  /** Docker container name, also the Upstream's endpoint name. */
  containerName: string;
  host: Host;
  index: number;
}

/** The replicas of one version, named `<prefix>-<service>-<version>-<host>-<i>`. Pure; validates the parts. */
export function backendReplicas(name: string, a: Pick<BackendArgs, "prefix" | "service" | "version" | "hosts" | "replicas">): BackendReplica[] {
  const replicas = a.replicas ?? settingDefault<number>("backend.replicas");
  if (!Number.isInteger(replicas) || replicas < 1) throw new Error(`Backend ${name}: replicas must be a positive integer, got ${replicas}`);
  if (a.hosts.length === 0) throw new Error(`Backend ${name}: no backend hosts`);
  for (const [what, v] of [["service", a.service], ["version", a.version]] as const) {
    // The key schema's name rule (lib/etcd/keys.ts) is also a valid container name part: one rule for both.
    const problem = nameProblem(what, v);
    if (problem) throw new ConfigError([`switchyard:backend.${what} = "${v}": ${what} "${v}" cannot be part of a container name or key (${problem})`]);
  }
  return a.hosts.flatMap((host) =>
    Array.from({ length: replicas }, (_, index) => ({
      resourceName: `${name}-${a.version}-${host.name}-${index}`,
      containerName: `${a.prefix}-${a.service}-${a.version}-${host.name}-${index}`,
      host,
      index,
    })),
  );
}

export interface BackendContainer {
  name: pulumi.Output<string>;
  host: string;
  /** "host:port" the gateways dial (host.dial: the container name on docker, host address on aws). */
  address: pulumi.Output<string>;
  container: docker.Container;
  /** The container's etcd key, when `upstream` was given. */
  upstream?: Upstream;
}

export class Backend extends pulumi.ComponentResource {
  readonly containers: BackendContainer[];
  readonly version: string;

  constructor(name: string, args: BackendArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:backend:Backend", name, {}, opts);
    const port = args.port ?? settingDefault<number>("backend.port");
    const healthPath = args.healthPath ?? settingDefault<string>("backend.healthPath");
    const replicas = backendReplicas(name, args);
    this.version = args.version;

    // One image per host (each host's daemon builds its own), named without the version: a switch reuses it.
    const images = new Map<Host, pulumi.Input<string>>();
    for (const host of new Set(replicas.map((r) => r.host))) {
      images.set(host, args.image ?? demoImage(`${name}-image-${host.name}`, args.prefix, args.baseImage ?? DEFAULT_BASE_IMAGE, args.platform, host, this));
    }
    const healthcheck = args.healthcheck ?? (args.image ? undefined : { tests: DEMO_HEALTH_COMMAND, interval: "2s", timeout: "2s", retries: 3, startPeriod: "5s" });

    this.containers = replicas.map((r) => {
      // Published (where a target publishes internal ports at all) at the port the gateways dial.
      const dial = r.host.dial(r.containerName, port);
      const container = new docker.Container(r.resourceName, {
        name: r.containerName,
        image: images.get(r.host)!,
        envs: [`VERSION=${args.version}`, `CONTAINER_NAME=${r.containerName}`, `PORT=${port}`, `HEALTH_PATH=${healthPath}`, ...(args.envs ?? [])],
        labels: [
          { label: "switchyard.stack", value: args.prefix },
          { label: "switchyard.role", value: "backend" },
          { label: "switchyard.backend.service", value: args.service },
          { label: "switchyard.backend.version", value: args.version },
          ...Object.entries(args.labels ?? {}).map(([label, value]) => ({ label, value })),
        ],
        hostname: r.containerName,
        restart: "unless-stopped",
        // A backend serves HTTP on an unprivileged port and writes nothing: no capability, read-only root,
        // a small /tmp for images that need one.
        ...leastPrivilege(),
        readOnly: true,
        tmpfs: { "/tmp": "rw,noexec,nosuid,size=16m" },
        networksAdvanced: [{ name: r.host.networkName, aliases: [r.containerName] }],
        ports: r.host.publish(port, "internal", dial.port),
        healthcheck,
        // On delete the provider stops the container with this grace (SIGTERM first), so in-flight requests finish.
        destroyGraceSeconds: args.stopGraceSeconds ?? 10,
      }, { parent: this, provider: r.host.provider, deleteBeforeReplace: true, ignoreChanges: CONTAINER_IGNORE_CHANGES });

      const address = pulumi.interpolate`${dial.host}:${dial.port}`;
      const upstream = args.upstream
        ? upstreamForContainer(`${r.resourceName}-upstream`, {
            service: args.service,
            endpoint: container.name,
            addr: address,
            meta: { version: args.version, container: r.containerName, host: r.host.name, healthPath },
            connection: args.upstream.connection,
            root: args.upstream.root,
            gate: args.upstream.gate,
          }, { parent: this, dependsOn: [container] })
        : undefined;
      return { name: container.name, host: r.host.name, address, container, upstream };
    });

    this.registerOutputs({
      version: args.version,
      containers: this.containers.map((c) => ({ name: c.name, host: c.host, address: c.address, key: c.upstream?.key })),
    });
  }
}

function demoImage(resourceName: string, prefix: string, baseImage: string, platform: string | undefined, host: Host, parent: pulumi.Resource): pulumi.Output<string> {
  // The tag follows the content and the base (name and ID), so a code or base change rolls the containers.
  const dir = prepareContext(resourceName, BACKEND_IMAGE_SPEC);
  return builtImage(resourceName, { context: dir, repository: `${prefix}-backend`, baseImage, platform, provider: host.provider }, parent).imageName;
}
