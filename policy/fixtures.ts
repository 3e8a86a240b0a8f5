/**
 * Hand-made resources for the policy unit tests, built with the same flag builders the components use
 * (components/etcd/flags.ts), so a test's etcd container looks like a deployed one.
 */
import { memberFlags, proxyFlags, type EtcdMemberAddress, type EtcdTlsFiles } from "../components/etcd/flags";
import type { ResourceCase } from "./testing";
import { TYPES } from "./resources";

export function members(n: number, host = (i: number) => `sy-etcd-${i}`): EtcdMemberAddress[] {
  return Array.from({ length: n }, (_, i) => ({ name: `etcd-${i}`, host: host(i), clientPort: 2379, peerPort: 2380 }));
}

export interface EtcdContainerOptions {
  size?: number;
  index?: number;
  tls?: EtcdTlsFiles;
  ports?: Record<string, unknown>[];
  dockerHost?: string;
  token?: string;
  extra?: Record<string, unknown>;
}

export const TLS_FILES: EtcdTlsFiles = { certFile: "/etc/etcd/tls/member.crt", keyFile: "/etc/etcd/tls/member.key", caFile: "/etc/etcd/tls/ca.crt" };

/** A healthy, well-behaved etcd member container (restart policy, exec-form healthcheck, pinned image). */
export function etcdMember(o: EtcdContainerOptions = {}): ResourceCase {
  const index = o.index ?? 0;
  const all = members(o.size ?? 3);
  return {
    type: TYPES.container,
    name: `etcd-${index}`,
    props: {
      name: `sy-etcd-${index}`,
      image: "gcr.io/etcd-development/etcd:v3.5.17",
      command: ["etcd", ...memberFlags({ self: all[index].name, members: all, clusterToken: o.token ?? "switchyard-switchyard-dev", dataDir: "/var/lib/etcd", listenHost: "0.0.0.0", tls: o.tls })],
      restart: "unless-stopped",
      healthcheck: { tests: ["CMD", "etcdctl", "endpoint", "health"], interval: "5s" },
      ports: o.ports ?? [],
      ...o.extra,
    },
    provider: o.dockerHost === undefined ? undefined : { props: { host: o.dockerHost } },
  };
}

export function etcdProxyContainer(ports: Record<string, unknown>[]): ResourceCase {
  return {
    type: TYPES.container,
    name: "etcd-proxy",
    props: {
      name: "sy-etcd-proxy",
      image: "gcr.io/etcd-development/etcd:v3.5.17",
      command: ["etcd", ...proxyFlags({ members: members(3), listenHost: "0.0.0.0", listenPort: 23790 })],
      restart: "unless-stopped",
      healthcheck: { tests: ["CMD", "true"] },
      ports,
    },
  };
}

export function container(props: Record<string, unknown>, name = "app"): ResourceCase {
  return {
    type: TYPES.container,
    name,
    props: { name: `sy-${name}`, image: "switchyard-dev-backend:0123456789ab", restart: "unless-stopped", healthcheck: { tests: ["CMD", "curl", "-f", "http://localhost/"] }, ...props },
  };
}
