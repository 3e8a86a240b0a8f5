/**
 * EtcdCluster: N members, one container each, on the hosts the target gives (one host per member).
 * The flags come from memberFlags (flags.ts), the same function the integration tests start real etcd with.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../../targets/host";
import { memberFlags, type EtcdMemberAddress } from "./flags";
import { etcdImageOn } from "./image";

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;
/** Inside the container; the member's named volume is mounted here so data outlives the container. */
export const ETCD_DATA_MOUNT = "/var/lib/etcd";

export interface EtcdClusterArgs {
  /** One host per member, in member order. */
  hosts: Host[];
  image: pulumi.Input<string>;
  clusterToken: string;
  /** Prefix of container and volume names ("switchyard-dev"). */
  prefix: string;
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

export const etcdHealthcheck = (port: number): docker.types.input.ContainerHealthcheck => ({
  // Exec form: the official image is distroless (no shell).
  tests: ["CMD", "etcdctl", `--endpoints=http://127.0.0.1:${port}`, "--command-timeout=2s", "endpoint", "health"],
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
        memberFlags({ self: a.name, members, clusterToken: args.clusterToken, dataDir: `${ETCD_DATA_MOUNT}/${a.name}`, listenHost: "0.0.0.0" }),
      );
      return new docker.Container(`${name}-${i}`, {
        name: a.container,
        image: images.get(host)!.imageId,
        command: flags.apply((f) => ["etcd", ...f]),
        envs: ["ETCDCTL_API=3"],
        hostname: a.container,
        restart: "unless-stopped",
        networksAdvanced: [{ name: host.networkName, aliases: [a.container] }],
        ports: [...host.publish(ETCD_CLIENT_PORT, "internal"), ...host.publish(ETCD_PEER_PORT, "internal")],
        volumes: [{ volumeName: volume.name, containerPath: ETCD_DATA_MOUNT }],
        healthcheck: etcdHealthcheck(ETCD_CLIENT_PORT),
        labels: [
          { label: "switchyard.stack", value: args.prefix },
          { label: "switchyard.role", value: "etcd-member" },
          { label: "switchyard.etcd.cluster", value: args.clusterToken },
          { label: "switchyard.etcd.member", value: a.name },
        ],
      }, { parent: this, provider: host.provider, deleteBeforeReplace: true });
    });
    this.registerOutputs({ members: this.members, memberNames: this.memberNames, containers: this.containers.map((c) => c.name) });
  }
}
