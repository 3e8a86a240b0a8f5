/**
 * The target abstraction. A target (docker, aws) yields hosts; components receive hosts and never branch on
 * the target. A host is a place to run containers (a docker.Provider) plus the rules for how the other
 * containers of the stack reach what runs there.
 */
import type * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";

export type HostRole = "etcd" | "gateway" | "backend";

/** Who may reach a published port. */
export type Exposure =
  /** Only the stack's own containers (etcd peers, the etcd client port of members). */
  | "internal"
  /** The operator's machine too (the etcd proxy, for `pulumi up` and etcdctl). */
  | "operator"
  /** Anyone allowed by the target's public CIDR (the gateway port, the stats page). */
  | "public";

export interface PortMapping {
  internal: number;
  external: number;
  /** Host interface; an output where it is an address known only after deployment (aws: the private IP). */
  ip?: pulumi.Input<string>;
  protocol?: string;
}

export interface Host {
  /** Short name, used in resource names: "local", "etcd", "gateway", "backend-1". */
  name: string;
  roles: HostRole[];
  /** Where this host's containers are created. */
  provider: docker.Provider;
  /** Name of the Docker network that containers on this host join. */
  networkName: pulumi.Input<string>;
  /**
   * The address other containers of the stack dial to reach `containerPort` of the container `containerName`
   * on this host: the container's name on a shared bridge network (docker), or the host's private address
   * and the published port (aws).
   */
  dial(containerName: string, containerPort: number): { host: pulumi.Input<string>; port: number };
  /** The address at which a registrator on this host registers published ports (HOST_IP). */
  registerAddress: pulumi.Input<string>;
  /** Port publications for a container port with the given exposure ([] when none is needed). */
  publish(containerPort: number, exposure: Exposure, hostPort?: number): PortMapping[];
  /** The address an operator (or a browser) uses for a port published with this exposure. */
  externalAddress(exposure: Exclude<Exposure, "internal">): pulumi.Input<string>;
}

/** Where each part of the stack runs. Built by a target; consumed by index.ts. */
export interface Topology {
  hosts: Host[];
  /** One host per etcd member, in member order (the same host may appear several times on docker). */
  etcdHosts: Host[];
  /** Runs the etcd proxy and the gateway. */
  gatewayHost: Host;
  /** Each runs a registrator and its share of the backends. */
  backendHosts: Host[];
}
