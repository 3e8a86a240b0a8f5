/**
 * The hosts target: machines the user already has (VMs, bare metal, a lab), listed in `hosts.machines`, each
 * with the address the others reach it at and its Docker endpoint (`ssh://user@host`, or `tcp://` where ssh
 * is not wanted). Placement and deployment are the same as the aws target's (placement.ts, machines.ts);
 * only where the machines come from differs.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { HostRole, Topology } from "./host";
import { placeOnMachines, type Machine } from "./machines";
import { placeOrThrow, type MachineSpec } from "./placement";

export interface HostMachine extends MachineSpec {
  /** The address the other machines (and the operator) reach this one at. */
  address: string;
  /** Docker endpoint: ssh://user@host[:port], tcp://host:port or unix:///path. */
  docker: string;
}

export interface HostsTargetArgs {
  prefix: string;
  machines: HostMachine[];
  /** Extra ssh options for ssh:// endpoints (e.g. ["-i", "~/.ssh/lab", "-o", "StrictHostKeyChecking=accept-new"]). */
  sshOpts: string[];
  etcdMembers: number;
}

export class HostsTarget extends pulumi.ComponentResource {
  readonly topology: Topology;
  readonly hostsOutput: { name: string; roles: HostRole[]; address: string; docker: string }[];

  constructor(name: string, args: HostsTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:target:Hosts", name, {}, opts);
    const placement = placeOrThrow(args.machines, args.etcdMembers, "hosts.machines");
    const machines: Machine[] = args.machines.map((m) => ({
      name: m.name,
      provider: new docker.Provider(`${name}-${m.name}-docker`, {
        host: m.docker,
        ...(m.docker.startsWith("ssh://") && args.sshOpts.length ? { sshOpts: args.sshOpts } : {}),
      }, { parent: this }),
      address: m.address,
      externalAddress: m.address,
    }));
    this.topology = placeOnMachines(this, name, args.prefix, machines, placement);
    this.hostsOutput = placement.hosts.map((h) => {
      const m = args.machines.find((x) => x.name === h.name)!;
      return { name: h.name, roles: h.roles, address: m.address, docker: m.docker };
    });
    this.registerOutputs({ hosts: this.hostsOutput });
  }
}
