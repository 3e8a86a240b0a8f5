/**
 * Registrator: one registrator container per backend host (the role docker-register played in
 * 001_cc7f9551e19e8783.txt), with the host's Docker socket mounted, HOST_IP set to the address other hosts
 * reach that host's published ports at, and the etcd connection. It registers the containers started outside
 * the program (`docker run --label switchyard.service=app -p 8000 ...`); the program's own backends are
 * registered by their Upstream resources and carry no service label.
 *
 * Thin: `registratorEnv` (pure, unit-tested) is the agent's configuration; the image is
 * agents/registrator/image plus the bundle from agents/registrator/bundle.ts.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { bundleRegistrator } from "../agents/registrator/bundle";
import type { EtcdConnection } from "../lib/etcd/client";
import { settingDefault } from "../config/settings";
import type { Host } from "../targets/host";
import { KEY_FILE_MODE, leastPrivilege } from "./hardening";
import { builtImage, DEFAULT_BASE_IMAGE, prepareContext, PROJECT_ROOT } from "./image";
import { CONTAINER_IGNORE_CHANGES } from "./container-options";

export const REGISTRATOR_METRICS_PORT = 9102;
export const DOCKER_SOCKET = "/var/run/docker.sock";
const CERT_DIR = "/etc/switchyard/etcd";

export interface RegistratorArgs {
  /** The backend hosts: one registrator on each. */
  hosts: Host[];
  /** Prefix of container and image names ("switchyard-dev"). */
  prefix: string;
  /**
   * Client connection to etcd as seen from the containers (the etcd proxy's internal endpoint); a function
   * of the host when each registrator has its own identity (TLS: a client certificate per registrator).
   */
  etcd: pulumi.Input<EtcdConnection> | ((host: Host) => pulumi.Input<EtcdConnection>);
  root?: pulumi.Input<string>;
  /** Lease TTL in seconds (default 15): how long keys outlive a dead registrator. */
  ttlSeconds?: number;
  /** Full resync period in seconds (default 30; 0 disables). */
  resyncIntervalSeconds?: number;
  /** Label prefix (default "switchyard": switchyard.service, switchyard.port, ...). */
  labelPrefix?: string;
  /** Published (operator-only) port of /healthz and /metrics. Default 9102. */
  metricsPort?: number;
  baseImage?: string;
  /** Platform of the built image; default each Docker host's own (see builtImage). */
  platform?: string;
}

/** The agent's environment (its documented variables) for one host. Pure; credentials excluded. */
export function registratorEnv(a: { hostIp: string; id: string; etcd: EtcdConnection; root: string; ttlSeconds?: number; resyncIntervalSeconds?: number; labelPrefix?: string }): string[] {
  const env = [
    `HOST_IP=${a.hostIp}`,
    `REGISTRATOR_ID=${a.id}`,
    `ETCD_ENDPOINTS=${a.etcd.endpoints.join(",")}`,
    `SWITCHYARD_ROOT=${a.root}`,
    `DOCKER_HOST=unix://${DOCKER_SOCKET}`,
    `REGISTRATOR_LISTEN=0.0.0.0:${REGISTRATOR_METRICS_PORT}`,
  ];
  if (a.ttlSeconds !== undefined) env.push(`REGISTRATOR_TTL=${a.ttlSeconds}`);
  if (a.resyncIntervalSeconds !== undefined) env.push(`REGISTRATOR_RESYNC_INTERVAL=${a.resyncIntervalSeconds}`);
  if (a.labelPrefix !== undefined) env.push(`REGISTRATOR_LABEL_PREFIX=${a.labelPrefix}`);
  if (a.etcd.tls) {
    env.push(`ETCD_CA_FILE=${CERT_DIR}/ca.pem`);
    if (a.etcd.tls.cert) env.push(`ETCD_CERT_FILE=${CERT_DIR}/cert.pem`, `ETCD_KEY_FILE=${CERT_DIR}/key.pem`);
  }
  if (a.etcd.auth) env.push(`ETCD_USERNAME=${a.etcd.auth.username}`);
  return env;
}

/** The build context: the Dockerfile folder plus bin/registrator.js and proto/ (see bundle.ts). */
export function prepareRegistratorContext(name: string): string {
  const dir = prepareContext(name, { dockerDir: "agents/registrator/image", finish: (d) => bundleRegistrator(PROJECT_ROOT, d) });
  return dir;
}

export class Registrator extends pulumi.ComponentResource {
  readonly containers: docker.Container[];
  /** Each registrator's /healthz and /metrics, for the operator, in host order. */
  readonly metricsUrls: pulumi.Output<string>[];

  constructor(name: string, args: RegistratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:registrator:Registrator", name, {}, opts);
    if (args.ttlSeconds !== undefined && (!Number.isInteger(args.ttlSeconds) || args.ttlSeconds < 2)) {
      throw new Error(`Registrator ttlSeconds must be a whole number of seconds ≥ 2, got ${args.ttlSeconds}`);
    }
    const baseImage = args.baseImage ?? DEFAULT_BASE_IMAGE;
    const metricsPort = args.metricsPort ?? REGISTRATOR_METRICS_PORT;
    const dir = prepareRegistratorContext(`${name}-image`);
    const root = pulumi.output(args.root ?? settingDefault<string>("root"));
    const etcdFor = (host: Host) => pulumi.output(typeof args.etcd === "function" ? args.etcd(host) : args.etcd);

    this.containers = [];
    this.metricsUrls = [];
    for (const host of args.hosts) {
      const containerName = `${args.prefix}-registrator-${host.name}`;
      const etcd = etcdFor(host);
      // TLS material as files (the key a secret), never in the environment or the image.
      const uploads = etcd.apply((c) => [
        ...(c.tls ? [{ file: `${CERT_DIR}/ca.pem`, content: c.tls.ca }] : []),
        ...(c.tls?.cert ? [{ file: `${CERT_DIR}/cert.pem`, content: c.tls.cert }] : []),
        ...(c.tls?.key ? [{ file: `${CERT_DIR}/key.pem`, content: c.tls.key, permissions: KEY_FILE_MODE }] : []),
      ]);
      // Images live on each host's own daemon.
      const image = builtImage(`${name}-${host.name}-image`, { context: dir, repository: `${args.prefix}-registrator`, baseImage, platform: args.platform, provider: host.provider }, this);
      const envs = pulumi.all([etcd, root, pulumi.output(host.registerAddress)]).apply(([c, r, hostIp]) => [
        ...registratorEnv({ hostIp, id: host.name, etcd: c, root: r, ttlSeconds: args.ttlSeconds, resyncIntervalSeconds: args.resyncIntervalSeconds, labelPrefix: args.labelPrefix }),
        // Only the password is secret; it never appears on the command line.
        ...(c.auth ? [`ETCD_PASSWORD=${c.auth.password}`] : []),
      ]);
      const container = new docker.Container(`${name}-${host.name}`, {
        name: containerName,
        image: image.imageName,
        envs: pulumi.secret(envs),
        uploads: pulumi.secret(uploads),
        hostname: containerName,
        restart: "unless-stopped",
        init: true,
        // Root in the container only to open the Docker socket (root-owned); no capability is needed for that.
        ...leastPrivilege(),
        volumes: [{ hostPath: DOCKER_SOCKET, containerPath: DOCKER_SOCKET }],
        networksAdvanced: [{ name: host.networkName, aliases: [containerName] }],
        ports: host.publish(REGISTRATOR_METRICS_PORT, "operator", metricsPort),
        healthcheck: {
          tests: ["CMD", "node", "/opt/switchyard/bin/registrator.js", "probe", "--url", `http://127.0.0.1:${REGISTRATOR_METRICS_PORT}/healthz`],
          interval: "10s",
          timeout: "5s",
          retries: 3,
          startPeriod: "10s",
        },
        // SIGTERM: the agent stops without revoking its lease, so a replacement adopts the keys (no flap).
        destroyGraceSeconds: 10,
        // Deliberately no switchyard.service label: the registrator does not register itself.
        labels: [
          { label: "switchyard.stack", value: args.prefix },
          { label: "switchyard.role", value: "registrator" },
        ],
      }, { parent: this, provider: host.provider, deleteBeforeReplace: true, ignoreChanges: CONTAINER_IGNORE_CHANGES });
      this.containers.push(container);
      this.metricsUrls.push(pulumi.interpolate`http://${host.externalAddress("operator")}:${metricsPort}/metrics`);
    }
    this.registerOutputs({ metricsUrls: this.metricsUrls, containers: this.containers.map((c) => c.name) });
  }
}
