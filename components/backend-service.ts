/**
 * One service of the `services` setting: its Backend (the live generation's containers and gated Upstreams)
 * and its Route (Host headers, default, stickiness; gated). A service's resources take inputs from its own
 * settings and the stack's shared parts only — never from another service — so changing one service plans
 * no step for the others.
 *
 * The Route depends on the service's Upstreams: a new service's hosts are routed once its endpoints are, and a
 * service that leaves the config stops being routed before its endpoints drain.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ServiceConfig } from "../config/services";
import type { EtcdConnection } from "../lib/etcd/client";
import type { GateSettings } from "../provider/etcd-key/spec";
import { Route } from "../provider/route";
import type { Host } from "../targets/host";
import { Backend } from "./backend";

export interface ServiceDeploymentArgs {
  hosts: Host[];
  prefix: string;
  baseImage: string;
  platform?: string;
  root: string;
  /** The operator's etcd connection (the Upstream and Route providers run inside `pulumi up`). */
  connection: pulumi.Input<EtcdConnection>;
  gate: Partial<GateSettings>;
  /** The gateway's client URL: the default service's URL, and the scheme and port of every host's URL. */
  gatewayUrl: pulumi.Output<string>;
  /** What every service waits for (the gateway, the proxy, etcd access). */
  dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** What the stack reports per service. */
export interface ServiceOutputs {
  /** One URL per host routed to the service (plus the gateway's own URL for the default service). */
  urls: string[];
  /** The version the program routes this service to. */
  liveVersion: string;
  /** One row per Upstream of the live generation: key and address. */
  upstreams: { key: string; addr: string }[];
  hosts: string[];
  default: boolean;
  sticky: boolean;
}

/** A service's URLs: the gateway's URL with each host as host name; the gateway's own for the default. Pure. */
export function serviceUrls(gatewayUrl: string, svc: Pick<ServiceConfig, "hosts" | "default">): string[] {
  const urls = svc.hosts.map((h) => {
    const u = new URL(gatewayUrl);
    u.hostname = h;
    return u.toString();
  });
  return svc.default ? [new URL(gatewayUrl).toString(), ...urls] : urls;
}

export function deployService(svc: ServiceConfig, a: ServiceDeploymentArgs): { backend: Backend; route: Route; outputs: pulumi.Output<ServiceOutputs> } {
  // Its containers and Upstreams are named with the version and generation: blue and green are distinct
  // resources, so a switch creates the new ones before deleting the old.
  const backend = new Backend(svc.name, {
    service: svc.name,
    version: svc.version,
    replicas: svc.replicas,
    port: svc.port,
    ...(svc.image ? { image: svc.image } : {}),
    healthPath: svc.healthPath,
    envs: svc.env,
    hosts: a.hosts,
    prefix: a.prefix,
    baseImage: a.baseImage,
    platform: a.platform,
    upstream: { connection: a.connection, root: a.root, gate: a.gate },
  }, { dependsOn: a.dependsOn });

  const upstreams = backend.containers.map((c) => c.upstream!);
  const route = new Route(`${svc.name}-route`, {
    service: svc.name,
    hosts: svc.hosts,
    default: svc.default,
    sticky: svc.sticky,
    adopt: svc.adoptRoute,
    root: a.root,
    connection: a.connection,
    gate: a.gate,
  }, { parent: backend, dependsOn: [...a.dependsOn, ...upstreams] });

  const outputs = pulumi.all([a.gatewayUrl, pulumi.all(upstreams.map((u) => pulumi.all([u.key, u.addr])))]).apply(([url, rows]) => ({
    urls: serviceUrls(url, svc),
    liveVersion: svc.version,
    upstreams: rows.map(([key, addr]) => ({ key, addr })),
    hosts: svc.hosts,
    default: svc.default,
    sticky: svc.sticky,
  }));
  return { backend, route, outputs };
}
