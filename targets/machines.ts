/**
 * Deploying onto machines that are reached over a network (the hosts target's own machines, the aws
 * target's EC2 instances): one user-defined bridge per machine, and a Host per machine whose containers are
 * dialed by other machines at the machine's address and a published port. Both targets feed their machines
 * through `placeOnMachines`, with the placement of placement.ts: one path, whatever made the machines.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { InternalPorts } from "./aws-ports";
import type { Exposure, Host, HostRole, PortMapping, Topology } from "./host";
import type { Placement } from "./placement";

export interface Machine {
  name: string;
  /** Where this machine's containers are created. */
  provider: docker.Provider;
  /** The address the other machines reach it at (aws: the private IP). */
  address: pulumi.Input<string>;
  /** The address the operator and clients use for published ports (aws: the public IP). */
  externalAddress: pulumi.Input<string>;
}

/** The networks and Hosts of placed machines (named `<name>-<machine>-network`, children of `parent`). */
export function placeOnMachines(parent: pulumi.Resource, name: string, prefix: string, machines: Machine[], placement: Placement): Topology {
  const hostsByName = new Map<string, Host>();
  for (const spec of placement.hosts) {
    const m = machines.find((x) => x.name === spec.name);
    if (!m) throw new Error(`placement names ${spec.name}, which is no machine`);
    // A user-defined bridge per machine: containers of one machine also reach each other by name (aliases).
    const network = new docker.Network(`${name}-${m.name}-network`, {
      name: prefix,
      driver: "bridge",
      labels: [{ label: "switchyard.stack", value: prefix }],
    }, { parent, provider: m.provider });
    hostsByName.set(m.name, machineHost(m, spec.roles, network.name));
  }
  const host = (n: string) => hostsByName.get(n)!;
  return {
    hosts: placement.hosts.map((h) => host(h.name)),
    etcdHosts: placement.etcdHosts.map(host),
    gatewayHost: host(placement.gatewayHost),
    backendHosts: placement.backendHosts.map(host),
  };
}

/**
 * A Host on a machine of its own: containers dial each other at the machine's address and per-container
 * host ports (aws-ports.ts), stable across runs and distinct for blue and green. Internal and operator ports
 * are published on that address only; public ones on every interface.
 */
export function machineHost(m: Machine, roles: HostRole[], networkName: pulumi.Input<string>): Host {
  const ports = new InternalPorts();
  return {
    name: m.name,
    roles,
    provider: m.provider,
    // Containers on other machines are reached through published ports, never through this network.
    networkName,
    dial: (containerName, containerPort) => ({ host: m.address, port: ports.portFor(containerName, containerPort) }),
    registerAddress: m.address,
    publish(containerPort: number, exposure: Exposure, hostPort?: number): PortMapping[] {
      const ip = exposure === "public" ? "0.0.0.0" : m.address;
      return [{ internal: containerPort, external: hostPort ?? containerPort, ip }];
    },
    externalAddress: () => m.externalAddress,
  };
}
