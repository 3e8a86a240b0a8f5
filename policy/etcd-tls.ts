/**
 * etcd TLS where etcd leaves the machine. The detectable rule: an etcd member container deployed through a
 * Docker provider whose `host` is a remote daemon (ssh://, tcp://, http(s):// to anything but loopback) —
 * which is how the AWS target deploys to its EC2 hosts — must run TLS on both planes: https client and peer
 * URLs, server certificates, and client-certificate authentication for clients and peers (what
 * components/etcd/flags.ts `memberFlags` emits with its `tls` option). Members on the local daemon (the
 * docker target) talk over one bridge network of one machine and are not required to.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { etcdSettings, initialCluster, urlList, type EtcdSettings } from "./etcd-settings";
import { TYPES, describeContainer, type ContainerInputs } from "./resources";

const LOOPBACK = /^(localhost|127(?:\.\d+){3}|\[?::1\]?)$/i;

/** Whether a docker provider `host` setting points at another machine. undefined/unix/npipe are local. */
export function isRemoteDockerHost(host: unknown): boolean {
  if (typeof host !== "string" || host.trim() === "") return false;
  const m = /^([a-z][a-z0-9+.-]*):\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^:/]*)/i.exec(host.trim());
  if (!m) return false;
  const scheme = m[1].toLowerCase();
  if (scheme === "unix" || scheme === "npipe") return false;
  return !LOOPBACK.test(m[2]);
}

const URL_KEYS = ["listen-client-urls", "advertise-client-urls", "listen-peer-urls", "initial-advertise-peer-urls"];
const FILE_KEYS = ["cert-file", "key-file", "trusted-ca-file", "peer-cert-file", "peer-key-file", "peer-trusted-ca-file"];
const AUTH_KEYS = ["client-cert-auth", "peer-client-cert-auth"];

/** What is missing for TLS on both planes; [] when the member is fully TLS. */
export function missingTls(s: EtcdSettings): string[] {
  const missing: string[] = [];
  for (const key of URL_KEYS) {
    const plain = urlList(s, key).filter((u) => !u.toLowerCase().startsWith("https://"));
    if (!s.values.has(key)) missing.push(`--${key} (not set: etcd defaults to http)`);
    else if (plain.length > 0) missing.push(`--${key} uses ${plain.join(", ")}`);
  }
  const plainPeers = initialCluster(s).filter((m) => !m.peerUrl.toLowerCase().startsWith("https://"));
  if (plainPeers.length > 0) missing.push(`--initial-cluster has non-https peers (${plainPeers.map((m) => m.name).join(", ")})`);
  for (const key of FILE_KEYS) if (!s.values.get(key)) missing.push(`--${key}`);
  for (const key of AUTH_KEYS) {
    const v = s.values.get(key);
    if (v === undefined || v.toLowerCase() === "false") missing.push(`--${key}`);
  }
  return missing;
}

export const etcdTlsOnRemoteHosts: ResourceValidationPolicy = {
  name: "etcd-tls-on-remote-hosts",
  description: "etcd members on a remote Docker host (the AWS target) use TLS with client-certificate authentication for clients and peers.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const settings = etcdSettings(args.props as ContainerInputs);
    if (settings?.role !== "member") return args.notApplicable("not an etcd member container");
    const host = args.provider?.props?.host;
    if (!isRemoteDockerHost(host)) return args.notApplicable("etcd member on the local Docker daemon");
    const missing = missingTls(settings);
    if (missing.length === 0) return;
    reportViolation(
      `etcd ${describeContainer(args.name, args.props as ContainerInputs)} runs on the remote Docker host ${String(host)} without TLS: ${missing.join("; ")}. ` +
        `Registry traffic between hosts would be readable and writable by anyone on the network path. ` +
        `Fix: give the member a certificate (e.g. from @pulumi/tls) and build its flags with memberFlags({ ..., tls: { certFile, keyFile, caFile } }), ` +
        `which sets https URLs, --cert-file/--key-file/--trusted-ca-file, --client-cert-auth and the peer equivalents.`,
    );
  },
};
