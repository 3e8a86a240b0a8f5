/**
 * The whole switchyard stack from a validated config: the target's hosts, then the parts placed on them.
 * index.ts calls this and exports what it returns; tests call it under Pulumi mocks and through the harness.
 *
 * Order of a switchover comes from the dependencies declared here and Pulumi's own rules: the new version's
 * containers and gated Upstreams are created first; the old version's Upstreams (each depending on its
 * container) are deleted next, waiting for the gateways to drain them; the old containers go last.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/validate";
import type { EtcdConnection } from "../lib/etcd/client";
import { createTarget } from "../targets";
import { Backend } from "./backend";
import { EtcdCluster } from "./etcd/cluster";
import { clusterToken } from "./etcd/flags";
import { EtcdProxy } from "./etcd/proxy";
import { Gateway } from "./gateway";
import { Registrator } from "./registrator";

export interface StackOutputs {
  /** URL clients use: the gateway. */
  gatewayUrl: pulumi.Output<string>;
  /** haproxy's stats page (nginx: the agent's status page). */
  statsUrl: pulumi.Output<string>;
  /** etcd client URL for the operator (`etcdctl --endpoints=...`, the Upstream provider). */
  etcdEndpoint: pulumi.Output<string>;
  /** etcd client URL for containers of the stack. */
  etcdInternalEndpoint: pulumi.Output<string>;
  etcdMembers: string[];
  /** The backend version the program routes to. */
  liveVersion: string;
  /** One row per upstream the program registered: key and address. */
  upstreams: pulumi.Output<{ key: string; addr: string }[]>;
  network?: pulumi.Input<unknown>;
  servicesRoot: string;
}

/** Connection settings for a client that reaches etcd at `endpoint` (the proxy). */
export function etcdConnection(endpoint: pulumi.Input<string>, cfg: StackConfig): pulumi.Output<EtcdConnection> {
  return pulumi.output(endpoint).apply((e) => ({ endpoints: [e], callTimeoutMs: cfg.etcd.callTimeoutMs }));
}

export function buildStack(cfg: StackConfig): StackOutputs {
  const target = createTarget(cfg);
  const { topology } = target;
  const etcd = new EtcdCluster("etcd", {
    hosts: topology.etcdHosts,
    image: cfg.etcd.image,
    clusterToken: clusterToken(cfg.project, cfg.stack),
    prefix: cfg.prefix,
  });
  const proxy = new EtcdProxy("etcd-proxy", {
    host: topology.gatewayHost,
    members: etcd.members,
    image: cfg.etcd.image,
    prefix: cfg.prefix,
    operatorPort: cfg.etcd.proxyPort,
  }, { dependsOn: etcd });

  // Containers reach etcd through the proxy by its name on the stack's network; the operator (and so the
  // Upstream provider, which runs inside `pulumi up`) through the published port.
  const containerEtcd = etcdConnection(proxy.internalEndpoint, cfg);
  const operatorEtcd = etcdConnection(proxy.operatorEndpoint, cfg);

  const gateway = new Gateway("gateway", {
    host: topology.gatewayHost,
    kind: cfg.gateway.kind,
    prefix: cfg.prefix,
    etcd: containerEtcd,
    root: cfg.root,
    port: cfg.gateway.port,
    statsPort: cfg.gateway.statsPort,
    metricsPort: cfg.gateway.metricsPort,
    baseImage: cfg.baseImage,
  }, { dependsOn: proxy });

  // For containers started outside the program (scaling by hand, other teams' services).
  new Registrator("registrator", {
    hosts: topology.backendHosts,
    prefix: cfg.prefix,
    etcd: containerEtcd,
    root: cfg.root,
    ttlSeconds: cfg.registrator.ttlSeconds,
    metricsPort: cfg.registrator.metricsPort,
    baseImage: cfg.baseImage,
  }, { dependsOn: proxy });

  // Its containers and Upstreams are named with the version: blue and green are distinct resources, so a
  // switch creates the new ones before deleting the old. The Upstreams wait for the gateway, which must
  // exist before they are written.
  const backend = new Backend(cfg.backend.service, {
    service: cfg.backend.service,
    version: cfg.backend.version,
    replicas: cfg.backend.replicas,
    port: cfg.backend.port,
    ...(cfg.backend.image ? { image: cfg.backend.image } : {}),
    healthPath: cfg.backend.healthPath,
    envs: cfg.backend.env,
    hosts: topology.backendHosts,
    prefix: cfg.prefix,
    baseImage: cfg.baseImage,
    upstream: {
      connection: operatorEtcd,
      root: cfg.root,
      gate: { enabled: true, timeoutMs: cfg.switch.gateTimeoutSeconds * 1000 },
    },
  }, { dependsOn: [gateway, proxy] });

  return {
    gatewayUrl: gateway.url,
    statsUrl: gateway.statsUrl,
    etcdEndpoint: proxy.operatorEndpoint,
    etcdInternalEndpoint: proxy.internalEndpoint,
    etcdMembers: etcd.memberNames,
    liveVersion: cfg.backend.version,
    upstreams: pulumi.all(backend.containers.map((c) => pulumi.all([c.upstream!.key, c.upstream!.addr]))).apply((rows) => rows.map(([key, addr]) => ({ key, addr }))),
    servicesRoot: cfg.root,
    ...target.outputs,
  };
}
