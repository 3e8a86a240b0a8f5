/**
 * EtcdCluster: N members, one container each, on the hosts the target gives (one host per member).
 * The flags come from memberFlags (flags.ts), the same function the integration tests start real etcd with.
 */
import { leastPrivilege } from "../hardening";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../../targets/host";
import { memberFlags, type EtcdMemberAddress, type EtcdTlsFiles } from "./flags";
import { etcdImageOn } from "./image";
import { CONTAINER_IGNORE_CHANGES } from "../container-options";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** Inside the container; the member's named volume is mounted here so data outlives the container. */
export const ETCD_DATA_MOUNT = "/var/lib/etcd";
/** Where a member's (or the proxy's) CA, certificate and key are uploaded: files, never image layers. */
export const ETCD_PKI_DIR = "/etc/etcd/pki";
export const ETCD_PKI_FILES: EtcdTlsFiles = { caFile: `${ETCD_PKI_DIR}/ca.pem`, certFile: `${ETCD_PKI_DIR}/cert.pem`, keyFile: `${ETCD_PKI_DIR}/key.pem` };

/** TLS material of one container: the CA (public), its certificate, its private key (a secret). */
export interface EtcdTlsMaterial {
  ca: pulumi.Input<string>;
  cert: pulumi.Input<string>;
  key: pulumi.Input<string>;
}

/** Docker uploads of the files in ETCD_PKI_FILES; the key readable by its owner (root) only. */
export function pkiUploads(m: EtcdTlsMaterial): docker.types.input.ContainerUpload[] {
  return [
    { file: ETCD_PKI_FILES.caFile, content: m.ca },
    { file: ETCD_PKI_FILES.certFile, content: m.cert },
    { file: ETCD_PKI_FILES.keyFile, content: pulumi.secret(m.key), permissions: "0600" },
  ];
}

export interface EtcdClusterArgs {
  /** One host per member, in member order. */
  hosts: Host[];
  image: pulumi.Input<string>;
  clusterToken: string;
  /** Prefix of container and volume names ("switchyard-dev"). */
  prefix: string;
  /** With TLS: https client and peer URLs, client-certificate auth; one certificate per member, in member order. */
  tls?: { ca: pulumi.Input<string>; members: { cert: pulumi.Input<string>; key: pulumi.Input<string> }[] };
}

/** Names and addresses of the members, derived from the hosts. Pure, so tests can check consistency. */
export function memberAddresses(prefix: string, hosts: Host[]): { name: string; container: string; dial: { host: pulumi.Input<string>; client: number; peer: number } }[] {
  return hosts.map((host, i) => {
    const container = `${prefix}-etcd-${i}`;
    const client = host.dial(container, ETCD_CLIENT_PORT);
    const peer = host.dial(container, ETCD_PEER_PORT);
    return { name: `etcd-${i}`, container, dial: { host: client.host, client: client.port, peer: peer.port } };
  });
}

/** etcdctl arguments that probe the endpoint on 127.0.0.1 (with TLS: any certificate of the stack's CA will do). Pure. */
export function etcdHealthArgs(port: number, tls?: EtcdTlsFiles): string[] {
  return [
    `--endpoints=${tls ? "https" : "http"}://127.0.0.1:${port}`,
    ...(tls ? [`--cacert=${tls.caFile}`, `--cert=${tls.certFile}`, `--key=${tls.keyFile}`] : []),
    "--command-timeout=2s",
    "endpoint",
    "health",
  ];
}

export const etcdHealthcheck = (port: number, tls?: EtcdTlsFiles): docker.types.input.ContainerHealthcheck => ({
  // Exec form: the official image is distroless (no shell).
  tests: ["CMD", "etcdctl", ...etcdHealthArgs(port, tls)],
  interval: "5s",
  timeout: "3s",
  retries: 3,
  startPeriod: "10s",
});

export class EtcdCluster extends pulumi.ComponentResource {
  readonly containers: docker.Container[];
  readonly volumes: docker.Volume[];
  /** Member addresses as the proxy and peers dial them. */
  readonly members: pulumi.Output<EtcdMemberAddress[]>;
  readonly memberNames: string[];

  constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:etcd:EtcdCluster", name, {}, opts);
    if (args.hosts.length === 0) throw new Error("EtcdCluster needs at least one host");
    if (args.tls && args.tls.members.length !== args.hosts.length) throw new Error(`EtcdCluster: ${args.hosts.length} members but ${args.tls.members.length} TLS certificates`);
    const tlsFiles = args.tls ? ETCD_PKI_FILES : undefined;
    const addrs = memberAddresses(args.prefix, args.hosts);
    this.memberNames = addrs.map((a) => a.name);
    this.members = pulumi.all(addrs.map((a) => a.dial.host)).apply((hostNames) =>
      addrs.map((a, i) => ({ name: a.name, host: hostNames[i], clientPort: a.dial.client, peerPort: a.dial.peer })),
    );
    this.volumes = [];
    const images = new Map<Host, docker.RemoteImage>();
    for (const h of args.hosts) if (!images.has(h)) images.set(h, etcdImageOn(name, h, args.image, this));
    this.containers = addrs.map((a, i) => {
      const host = args.hosts[i];
      const volume = new docker.Volume(`${name}-${i}-data`, {
        name: `${a.container}-data`,
        labels: [{ label: "switchyard.stack", value: args.prefix }, { label: "switchyard.role", value: "etcd-data" }],
      }, { parent: this, provider: host.provider });
      this.volumes.push(volume);
      const flags = this.members.apply((members) =>
        memberFlags({ self: a.name, members, clusterToken: args.clusterToken, dataDir: `${ETCD_DATA_MOUNT}/${a.name}`, listenHost: "0.0.0.0", listenPorts: { client: ETCD_CLIENT_PORT, peer: ETCD_PEER_PORT }, ...(tlsFiles ? { tls: tlsFiles } : {}) }),
      );
      return new docker.Container(`${name}-${i}`, {
        name: a.container,
        image: images.get(host)!.imageId,
        command: flags.apply((f) => ["etcd", ...f]),
        envs: ["ETCDCTL_API=3"],
        hostname: a.container,
        restart: "unless-stopped",
        // etcd listens on unprivileged ports and needs one capability: DAC_OVERRIDE, because a fresh named
        // volume takes the owner of the image's own /var/lib/etcd (Debian's etcd package: user etcd, mode 700),
        // which root without it cannot enter.
        ...leastPrivilege(["DAC_OVERRIDE"]),
        networksAdvanced: [{ name: host.networkName, aliases: [a.container] }],
        // Published (where a target publishes internal ports at all) at the ports peers and the proxy dial.
        ports: [...host.publish(ETCD_CLIENT_PORT, "internal", a.dial.client), ...host.publish(ETCD_PEER_PORT, "internal", a.dial.peer)],
        volumes: [{ volumeName: volume.name, containerPath: ETCD_DATA_MOUNT }],
        // The member probes itself with its own certificate (CN = member name, no etcd user).
        ...(args.tls ? { uploads: pkiUploads({ ca: args.tls.ca, ...args.tls.members[i] }) } : {}),
        healthcheck: etcdHealthcheck(ETCD_CLIENT_PORT, tlsFiles),
        labels: [
          { label: "switchyard.stack", value: args.prefix },
          { label: "switchyard.role", value: "etcd-member" },
          { label: "switchyard.etcd.cluster", value: args.clusterToken },
          { label: "switchyard.etcd.member", value: a.name },
        ],
      }, { parent: this, provider: host.provider, deleteBeforeReplace: true, ignoreChanges: CONTAINER_IGNORE_CHANGES });
    });
    this.registerOutputs({ members: this.members, memberNames: this.memberNames, containers: this.containers.map((c) => c.name) });
  }
}
