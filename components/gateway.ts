/**
 * Gateway: the gateway container — the switchyard gateway agent supervising nginx or haproxy — on the
 * topology's gateway host. The component is thin: `gatewayAgentArgs` (pure, unit-tested) builds the agent's
 * command line; the image is agents/gateway/image with the agent bundled in (one image for both kinds).
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import fs from "node:fs";
import path from "node:path";
import type { EtcdConnection } from "../lib/etcd/client";
import { settingDefault } from "../config/settings";
import type { Host } from "../targets/host";
import { KEY_FILE_MODE, leastPrivilege, PROXY_MASTER_CAPABILITIES } from "./hardening";
import { builtImage, DEFAULT_BASE_IMAGE, prepareContext, PROJECT_ROOT, type ContextSpec } from "./image";
import { CONTAINER_IGNORE_CHANGES } from "./container-options";

export const GATEWAY_IMAGE_SPEC: ContextSpec = { dockerDir: "agents/gateway/image", bundles: { "gateway.js": "agents/gateway/main.ts" } };
export const GATEWAY_PORT = 8000;
export const GATEWAY_STATS_PORT = 1936;
export const GATEWAY_METRICS_PORT = 9100;
const CERT_DIR = "/etc/switchyard/etcd";

export type GatewayKind = "nginx" | "haproxy";

/** The unprivileged user each proxy's workers run as (the Debian packages create both). */
export const PROXY_WORKER_USER: Record<GatewayKind, string> = { nginx: "www-data", haproxy: "haproxy" };

/** The gateway's container name, which is also its id (status key, etcd user gateway-<id>). */
export const gatewayContainerName = (prefix: string, kind: GatewayKind) => `${prefix}-gateway-${kind}`;

export interface GatewayArgs {
  host: Host;
  kind: GatewayKind;
  /** Prefix of container and image names ("switchyard-dev"). */
  prefix: string;
  /** Client connection to etcd as seen from the container (the etcd proxy's internal endpoint). */
  etcd: pulumi.Input<EtcdConnection>;
  root?: pulumi.Input<string>;
  /** Published port for client traffic. Default 8000. */
  port?: number;
  /** Published port of the haproxy stats page. Default 1936. */
  statsPort?: number;
  /** Published (operator-only) port of /healthz and /metrics. Default 9100. */
  metricsPort?: number;
  /** A handlebars template replacing the built-in one (its text). */
  template?: pulumi.Input<string>;
  /** Extra agent flags, e.g. ["--quiet-ms", "100"]. */
  extraFlags?: string[];
  baseImage?: string;
  /** Platform of the built image; default the Docker host's own (see builtImage). */
  platform?: string;
}

/**
 * The build context: the Dockerfile folder and the agent bundle (prepareContext), plus etcd3's gRPC
 * definitions, which etcd3 reads at run time from `${__dirname}/../proto` — /opt/proto for the bundle at
 * /opt/switchyard/gateway.js.
 */
export function prepareGatewayContext(name: string): string {
  return prepareContext(name, {
    ...GATEWAY_IMAGE_SPEC,
    finish: (dir) => fs.cpSync(path.join(PROJECT_ROOT, "node_modules", "etcd3", "proto"), path.join(dir, "proto"), { recursive: true }),
  });
}

/** The agent's command line inside the container. Pure. */
export function gatewayAgentArgs(a: { kind: GatewayKind; id: string; etcd: EtcdConnection; root: string; hasTemplate: boolean; extraFlags?: string[] }): string[] {
  const args = [
    "--kind", a.kind,
    "--id", a.id,
    "--root", a.root,
    "--etcd", a.etcd.endpoints.join(","),
    "--listen", `0.0.0.0:${GATEWAY_PORT}`,
    "--stats", `0.0.0.0:${GATEWAY_STATS_PORT}`,
    "--metrics", `0.0.0.0:${GATEWAY_METRICS_PORT}`,
    // The agent and the proxy's master run as root in the container; the workers, which parse client
    // traffic, as the proxy's own user.
    "--user", PROXY_WORKER_USER[a.kind],
  ];
  if (a.etcd.tls) {
    args.push("--etcd-ca", `${CERT_DIR}/ca.pem`);
    if (a.etcd.tls.cert) args.push("--etcd-cert", `${CERT_DIR}/cert.pem`, "--etcd-key", `${CERT_DIR}/key.pem`);
  }
  if (a.hasTemplate) args.push("--template", "/etc/switchyard/gateway.hbs");
  return [...args, ...(a.extraFlags ?? [])];
}

export class Gateway extends pulumi.ComponentResource {
  readonly container: docker.Container;
  /** Where clients send traffic ("http://localhost:8000"). */
  readonly url: pulumi.Output<string>;
  /** The haproxy stats page (nginx gateways serve none; the URL is still reserved). */
  readonly statsUrl: pulumi.Output<string>;
  /** The agent's /healthz and /metrics, for the operator. */
  readonly metricsUrl: pulumi.Output<string>;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:gateway:Gateway", name, {}, opts);
    const port = args.port ?? GATEWAY_PORT;
    const statsPort = args.statsPort ?? GATEWAY_STATS_PORT;
    const metricsPort = args.metricsPort ?? GATEWAY_METRICS_PORT;
    const containerName = gatewayContainerName(args.prefix, args.kind);
    const baseImage = args.baseImage ?? DEFAULT_BASE_IMAGE;

    const dir = prepareGatewayContext(`${name}-image`);
    const image = builtImage(`${name}-image`, { context: dir, repository: `${args.prefix}-gateway`, baseImage, platform: args.platform, provider: args.host.provider }, this);

    const etcd = pulumi.output(args.etcd);
    const root = pulumi.output(args.root ?? settingDefault<string>("root"));
    const uploads = pulumi.all([etcd, args.template]).apply(([c, template]) => [
      ...(c.tls ? [{ file: `${CERT_DIR}/ca.pem`, content: c.tls.ca }] : []),
      ...(c.tls?.cert ? [{ file: `${CERT_DIR}/cert.pem`, content: c.tls.cert }] : []),
      ...(c.tls?.key ? [{ file: `${CERT_DIR}/key.pem`, content: c.tls.key, permissions: KEY_FILE_MODE }] : []),
      ...(template ? [{ file: "/etc/switchyard/gateway.hbs", content: template }] : []),
    ]);
    const command = pulumi.all([etcd, root, args.template]).apply(([c, r, template]) =>
      gatewayAgentArgs({ kind: args.kind, id: containerName, etcd: c, root: r, hasTemplate: Boolean(template), extraFlags: args.extraFlags }));
    // Credentials go through the environment (a secret), never the command line.
    const envs = etcd.apply((c) => (c.auth ? [`SWITCHYARD_GATEWAY_ETCD_USER=${c.auth.username}:${c.auth.password}`] : []));

    this.container = new docker.Container(name, {
      name: containerName,
      image: image.imageName,
      command,
      envs: pulumi.secret(envs),
      // The TLS key among them: a secret, as files only.
      uploads: pulumi.secret(uploads),
      hostname: containerName,
      restart: "unless-stopped",
      // tini as PID 1 reaps the proxy's exited workers and forwards SIGTERM to the agent.
      init: true,
      ...leastPrivilege(PROXY_MASTER_CAPABILITIES),
      networksAdvanced: [{ name: args.host.networkName, aliases: [containerName] }],
      ports: [
        ...args.host.publish(GATEWAY_PORT, "public", port),
        // Service and endpoint names, health, traffic, the proxy's version: for the operator only.
        ...args.host.publish(GATEWAY_STATS_PORT, "operator", statsPort),
        ...args.host.publish(GATEWAY_METRICS_PORT, "operator", metricsPort),
      ],
      healthcheck: {
        tests: ["CMD", "node", "-e", `require("http").get("http://127.0.0.1:${GATEWAY_METRICS_PORT}/healthz", (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))`],
        interval: "5s",
        timeout: "3s",
        retries: 3,
        startPeriod: "10s",
      },
      // The agent stops the proxy gracefully (in-flight requests finish) and revokes its status lease.
      destroyGraceSeconds: 15,
      labels: [
        { label: "switchyard.stack", value: args.prefix },
        { label: "switchyard.role", value: "gateway" },
        { label: "switchyard.gateway.kind", value: args.kind },
      ],
    }, { parent: this, provider: args.host.provider, deleteBeforeReplace: true, ignoreChanges: CONTAINER_IGNORE_CHANGES });

    const publicAddress = args.host.externalAddress("public");
    this.url = pulumi.interpolate`http://${publicAddress}:${port}`;
    this.statsUrl = pulumi.interpolate`http://${args.host.externalAddress("operator")}:${statsPort}/`;
    this.metricsUrl = pulumi.interpolate`http://${args.host.externalAddress("operator")}:${metricsPort}/metrics`;
    this.registerOutputs({ url: this.url, statsUrl: this.statsUrl, metricsUrl: this.metricsUrl });
  }
}
