/**
 * etcd TLS where etcd traffic leaves its Docker host. The detectable rule: an etcd member that is reachable
 * from outside its host — its client or peer port published on a non-loopback address, or host networking
 * with a non-loopback listener — must run TLS on both planes: https client and peer URLs, server
 * certificates, and client-certificate authentication for clients and peers (what components/etcd/flags.ts
 * `memberFlags` emits with its `tls` option). That is exactly the AWS target, whose members dial each other
 * across EC2 hosts at private addresses and published ports. Members of the docker target publish nothing
 * (they talk over one bridge network of one machine, local or DOCKER_HOST) and are not required to.
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { etcdListenHosts, etcdListenPorts, etcdSettings, initialCluster, urlList, type EtcdSettings } from "./etcd-settings";
import { TYPES, describeContainer, isAllInterfaces, type ContainerInputs, type ContainerPortInput } from "./resources";

const LOOPBACK = /^(localhost|127(?:\.\d+){3}|::1)$/i;

/** Addresses on which the member can be reached from outside its Docker host ([] when it cannot). */
export function offHostExposure(props: ContainerInputs, settings: EtcdSettings): string[] {
  const ports = etcdListenPorts(settings);
  const entries: ContainerPortInput[] = Array.isArray(props.ports) ? props.ports : [];
  const published = entries
    .filter((p) => p.internal !== undefined && ports.has(Number(p.internal)))
    .map((p) => ({ ip: isAllInterfaces(p.ip) ? "0.0.0.0" : String(p.ip).replace(/^\[|\]$/g, ""), p }))
    .filter(({ ip }) => !LOOPBACK.test(ip))
    .map(({ ip, p }) => `port ${p.internal} published on ${ip}:${p.external ?? "(random)"}`);
  const hostNetwork = props.networkMode === "host"
    ? etcdListenHosts(settings).filter((h) => !LOOPBACK.test(h)).map((h) => `host network, listening on ${h}`)
    : [];
  return [...new Set([...published, ...hostNetwork])];
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

export const etcdTlsAcrossHosts: ResourceValidationPolicy = {
  name: "etcd-tls-across-hosts",
  description: "etcd members reachable from outside their Docker host (the AWS target) use TLS with client-certificate authentication for clients and peers.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const props = args.props as ContainerInputs;
    const settings = etcdSettings(props);
    if (settings?.role !== "member") return args.notApplicable("not an etcd member container");
    const exposure = offHostExposure(props, settings);
    if (exposure.length === 0) return args.notApplicable("etcd member reachable only inside its Docker host");
    const missing = missingTls(settings);
    if (missing.length === 0) return;
    reportViolation(
      `etcd ${describeContainer(args.name, props)} is reachable from outside its Docker host (${exposure.join("; ")}) without TLS: ${missing.join("; ")}. ` +
        `Registry traffic between hosts would be readable and writable by anyone on the network path. ` +
        `Fix: give the member a certificate (e.g. from @pulumi/tls) and build its flags with memberFlags({ ..., tls: { certFile, keyFile, caFile } }), ` +
        `which sets https URLs, --cert-file/--key-file/--trusted-ca-file, --client-cert-auth and the peer equivalents.`,
    );
  },
};

export const etcdTlsEverywhere: ResourceValidationPolicy = {
  name: "etcd-tls-everywhere",
  description: "Every etcd member runs TLS with client certificates, also on one Docker host: without it any container on the stack network (an internet-facing backend included) and any local user can read and rewrite the registry.",
  enforcementLevel: "advisory",
  severity: "medium",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const props = args.props as ContainerInputs;
    const settings = etcdSettings(props);
    if (settings?.role !== "member") return args.notApplicable("not an etcd member container");
    const missing = missingTls(settings);
    if (missing.length === 0) return;
    reportViolation(
      `etcd ${describeContainer(args.name, props)} runs without TLS and client-certificate authentication (${missing.slice(0, 3).join("; ")}${missing.length > 3 ? "; ..." : ""}): ` +
        "every container on the stack's network and every local user who reaches the proxy port can read and rewrite the registry, and so route traffic anywhere. " +
        "Fix: pulumi config set etcd.tls true (switchyard makes the CA, the certificates and the etcd users itself).",
    );
  },
};
