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
import { accessPlan, gatewayUser, registratorUser, ROOT_USER } from "../lib/etcd/access";
import type { EtcdConnection } from "../lib/etcd/client";
import { EtcdAccess } from "../provider/access";
import { createTarget } from "../targets";
import type { Host } from "../targets/host";
import { deployService, type ServiceOutputs } from "./backend-service";
import { EtcdCluster, memberAddresses } from "./etcd/cluster";
import { clusterToken } from "./etcd/flags";
import { EtcdPki, HEALTHCHECK_IDENTITY, memberSans, type TlsIdentity } from "./etcd/pki";
import { EtcdProxy, etcdProxyContainerName } from "./etcd/proxy";
import { Gateway, gatewayContainerName } from "./gateway";
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
  /** The version the program routes the default service (else the first service) to. */
  liveVersion: string;
  /** One row per upstream the program registered, of every service: key and address. */
  upstreams: pulumi.Output<{ key: string; addr: string }[]>;
  /** Per service: its URLs, live version, upstreams and routing. */
  services: pulumi.Output<Record<string, ServiceOutputs>>;
  network?: pulumi.Input<unknown>;
  /** aws: each host with its roles, addresses and ssh command. */
  hosts?: pulumi.Input<unknown>;
  servicesRoot: string;
  /** With etcd.tls: the stack's CA certificate (public), for `etcdctl --cacert`. */
  etcdCaCert?: pulumi.Output<string>;
}

/**
 * Connection settings for a client that reaches etcd at `endpoint` (the proxy), with `identity`'s client
 * certificate when TLS is on. A secret as soon as it carries a key.
 */
export function etcdConnection(endpoint: pulumi.Input<string>, cfg: StackConfig, ca?: pulumi.Output<string>, identity?: TlsIdentity): pulumi.Output<EtcdConnection> {
  if (!ca || !identity) return pulumi.output(endpoint).apply((e) => ({ endpoints: [e], callTimeoutMs: cfg.etcd.callTimeoutMs }));
  return pulumi.secret(pulumi.all([endpoint, ca, identity.cert, identity.key]).apply(([e, caPem, cert, key]) => ({
    endpoints: [e],
    callTimeoutMs: cfg.etcd.callTimeoutMs,
    tls: { ca: caPem, cert, key },
  })));
}

export function buildStack(cfg: StackConfig): StackOutputs {
  const target = createTarget(cfg);
  const { topology } = target;
  // Identities (= etcd users, = client certificate CNs with etcd.tls): see lib/etcd/access.ts.
  const gatewayId = gatewayContainerName(cfg.prefix, cfg.gateway.kind);
  const registratorIds = topology.backendHosts.map((h) => h.name);
  const memberAddrs = memberAddresses(cfg.prefix, topology.etcdHosts);
  const pki = cfg.etcd.tls ? new EtcdPki("etcd-pki", {
    prefix: cfg.prefix,
    members: memberAddrs.map((a) => ({
      name: a.name,
      sans: pulumi.all([a.dial.host, topology.gatewayHost.externalAddress("operator")]).apply(([dialHost, operatorHost]) =>
        memberSans({ container: a.container, proxyContainer: etcdProxyContainerName(cfg.prefix), dialHost, operatorHost })),
    })),
    clients: [ROOT_USER, HEALTHCHECK_IDENTITY, gatewayUser(gatewayId), ...registratorIds.map(registratorUser)],
  }) : undefined;

  const etcd = new EtcdCluster("etcd", {
    hosts: topology.etcdHosts,
    image: cfg.etcd.image,
    clusterToken: clusterToken(cfg.project, cfg.stack),
    prefix: cfg.prefix,
    ...(pki ? { tls: { ca: pki.caCert, members: memberAddrs.map((a) => pki.member(a.name)) } } : {}),
  });
  const proxy = new EtcdProxy("etcd-proxy", {
    host: topology.gatewayHost,
    members: etcd.members,
    image: cfg.etcd.image,
    prefix: cfg.prefix,
    operatorPort: cfg.etcd.proxyPort,
    ...(pki ? { tls: { ca: pki.caCert, ...pki.client(HEALTHCHECK_IDENTITY) } } : {}),
  }, { dependsOn: etcd });

  // Containers reach etcd through the proxy by its name on the stack's network; the operator (and so the
  // Upstream provider, which runs inside `pulumi up`) through the published port. With TLS each client
  // presents its own certificate.
  const as = (endpoint: pulumi.Output<string>, user: string) => etcdConnection(endpoint, cfg, pki?.caCert, pki?.client(user));
  const operatorEtcd = as(proxy.operatorEndpoint, ROOT_USER);
  const gatewayEtcd = as(proxy.internalEndpoint, gatewayUser(gatewayId));
  const registratorEtcd = (host: Host) => as(proxy.internalEndpoint, registratorUser(host.name));

  // Users, roles and `auth enable`, before any client but the operator connects.
  const access = pki ? [new EtcdAccess("etcd-access", {
    connection: operatorEtcd,
    plan: accessPlan({ root: cfg.root, gateways: [gatewayId], registrators: registratorIds }),
  }, { dependsOn: [etcd, proxy] })] : [];

  const gateway = new Gateway("gateway", {
    host: topology.gatewayHost,
    kind: cfg.gateway.kind,
    prefix: cfg.prefix,
    etcd: gatewayEtcd,
    root: cfg.root,
    port: cfg.gateway.port,
    statsPort: cfg.gateway.statsPort,
    metricsPort: cfg.gateway.metricsPort,
    baseImage: cfg.baseImage,
    platform: cfg.platform,
  }, { dependsOn: [proxy, ...access] });

  // For containers started outside the program (scaling by hand, other teams' services).
  new Registrator("registrator", {
    hosts: topology.backendHosts,
    prefix: cfg.prefix,
    etcd: registratorEtcd,
    root: cfg.root,
    ttlSeconds: cfg.registrator.ttlSeconds,
    metricsPort: cfg.registrator.metricsPort,
    baseImage: cfg.baseImage,
    platform: cfg.platform,
  }, { dependsOn: [proxy, ...access] });

  // Each service: its generation's containers and gated Upstreams, and its gated Route — the explicit default
  // route included (#20: a registered stranger must never leave the stack without a default). Their keys wait
  // for the gateway, which must exist before they are written.
  const services = cfg.services.map((svc) => ({
    svc,
    ...deployService(svc, {
      hosts: topology.backendHosts,
      prefix: cfg.prefix,
      baseImage: cfg.baseImage,
      platform: cfg.platform,
      root: cfg.root,
      connection: operatorEtcd,
      gate: { enabled: true, timeoutMs: cfg.switch.gateTimeoutSeconds * 1000 },
      gatewayUrl: gateway.url,
      dependsOn: [gateway, proxy, ...access],
    }),
  }));
  const main = services.find((s) => s.svc.default) ?? services[0];

  return {
    gatewayUrl: gateway.url,
    statsUrl: gateway.statsUrl,
    etcdEndpoint: proxy.operatorEndpoint,
    etcdInternalEndpoint: proxy.internalEndpoint,
    etcdMembers: etcd.memberNames,
    liveVersion: main.svc.version,
    upstreams: pulumi.all(services.map((s) => s.outputs)).apply((outs) => outs.flatMap((o) => o.upstreams)),
    services: pulumi.all(Object.fromEntries(services.map((s) => [s.svc.name, s.outputs]))),
    servicesRoot: cfg.root,
    ...(pki ? { etcdCaCert: pki.caCert } : {}),
    ...target.outputs,
  };
}
