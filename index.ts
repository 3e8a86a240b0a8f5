/**
 * switchyard: a service-discovery stack (etcd cluster, etcd proxy, gateway, registrator, versioned backends)
 * whose `pulumi up` after a version change is a zero-downtime blue-green switchover.
 * Thin on purpose: read and validate the config (before any resource is declared), build, export.
 */
import { loadConfig } from "./config/load";
import { buildStack } from "./components/stack";

const stack = buildStack(loadConfig());

/**
 * Stack outputs. Those a target or a setting does not produce (`hosts` on docker, `network` on aws,
 * `etcdCaCert` without etcd.tls) are left out instead of showing up as undefined.
 */
export = Object.fromEntries(Object.entries({
  gatewayUrl: stack.gatewayUrl,
  statsUrl: stack.statsUrl,
  etcdEndpoint: stack.etcdEndpoint,
  etcdInternalEndpoint: stack.etcdInternalEndpoint,
  etcdMembers: stack.etcdMembers,
  liveVersion: stack.liveVersion,
  upstreams: stack.upstreams,
  /** Per service: URLs, live version, upstreams, hosts, default, sticky. */
  services: stack.services,
  network: stack.network,
  /** aws: each host with its roles, public and private address, and the ssh command to reach it. */
  hosts: stack.hosts,
  servicesRoot: stack.servicesRoot,
  /** With etcd.tls: the stack's CA certificate (public; private keys are never outputs). */
  etcdCaCert: stack.etcdCaCert,
}).filter(([, value]) => value !== undefined));
