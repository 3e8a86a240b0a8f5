/**
 * The docker target: one host, the local Docker daemon (or DOCKER_HOST). Every container joins one
 * user-defined bridge network named after the stack, and containers reach each other by name on it.
 * Only the gateway (public) and the etcd proxy (operator, on 127.0.0.1) are published.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Exposure, Host, PortMapping, Topology } from "./host";

export interface DockerTargetArgs {
  /** Prefix of every Docker object: "<project>-<stack>". */
  prefix: string;
  /** Docker daemon address; undefined uses DOCKER_HOST or the local socket. */
  dockerHost?: string;
  /** Interface that public ports bind to (default all interfaces). */
  publicBindIp: string;
  /** etcd members on this target (all on the one host). */
  etcdMembers: number;
}

export class DockerTarget extends pulumi.ComponentResource {
  readonly topology: Topology;
  readonly network: docker.Network;

  constructor(name: string, args: DockerTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:target:Docker", name, {}, opts);
    const provider = new docker.Provider(`${name}-docker`, args.dockerHost ? { host: args.dockerHost } : {}, { parent: this });
    this.network = new docker.Network(`${name}-network`, {
      name: `${args.prefix}`,
      driver: "bridge",
      labels: [{ label: "switchyard.stack", value: args.prefix }],
    }, { parent: this, provider });
    const host = dockerHost(provider, this.network, args.publicBindIp);
    this.topology = {
      hosts: [host],
      etcdHosts: Array.from({ length: args.etcdMembers }, () => host),
      gatewayHost: host,
      backendHosts: [host],
    };
    this.registerOutputs({ network: this.network.name });
  }
}

export function dockerHost(provider: docker.Provider, network: docker.Network, publicBindIp: string): Host {
  // Published ports are reached from containers through the bridge's gateway address (docker's userland
  // proxy / DNAT on the host), which is what a registrator on this host registers.
  const bridgeGateway = network.ipamConfigs.apply((c) => c?.[0]?.gateway ?? "172.17.0.1");
  return {
    name: "local",
    roles: ["etcd", "gateway", "backend"],
    provider,
    networkName: network.name,
    dial: (containerName, containerPort) => ({ host: containerName, port: containerPort }),
    registerAddress: bridgeGateway,
    publish(containerPort: number, exposure: Exposure, hostPort?: number): PortMapping[] {
      if (exposure === "internal") return [];
      const ip = exposure === "operator" ? "127.0.0.1" : publicBindIp;
      return [{ internal: containerPort, external: hostPort ?? containerPort, ip }];
    },
    externalAddress: (exposure) => (exposure === "operator" ? "127.0.0.1" : publicBindIp === "0.0.0.0" ? "localhost" : publicBindIp),
  };
}
