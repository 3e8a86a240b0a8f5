/**
 * switchyard: a service-discovery stack (etcd cluster, etcd proxy, gateway, registrator, versioned backends)
 * whose `pulumi up` after a version change is a zero-downtime blue-green switchover.
 * Thin on purpose: read and validate the config (before any resource is declared), build, export.
 */
import { loadConfig } from "./config/load";
import { buildStack } from "./components/stack";

const stack = buildStack(loadConfig());

export const gatewayUrl = stack.gatewayUrl;
export const statsUrl = stack.statsUrl;
export const etcdEndpoint = stack.etcdEndpoint;
export const etcdInternalEndpoint = stack.etcdInternalEndpoint;
export const etcdMembers = stack.etcdMembers;
export const liveVersion = stack.liveVersion;
export const upstreams = stack.upstreams;
export const network = stack.network;
/** aws: each host with its roles, public and private address, and the ssh command to reach it. */
export const hosts = stack.hosts;
export const servicesRoot = stack.servicesRoot;
/** With etcd.tls: the stack's CA certificate (public; private keys are never outputs). */
export const etcdCaCert = stack.etcdCaCert;
