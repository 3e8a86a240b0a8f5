/**
 * EtcdProxy: the single client endpoint (the "ambassador" of the source documents). Every switchyard client
 * but the members themselves talks to etcd through it. It runs `etcd gateway` (see proxyFlags for why).
 */
import { leastPrivilege } from "../hardening";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../../targets/host";
import { ETCD_CLIENT_PORT, ETCD_PKI_FILES, etcdHealthcheck, pkiUploads, type EtcdTlsMaterial } from "./cluster";
import { proxyFlags, type EtcdMemberAddress } from "./flags";
import { etcdImageOn } from "./image";
import { CONTAINER_IGNORE_CHANGES } from "../container-options";

/** The proxy's container name: what containers dial, so every member certificate names it. */
export const etcdProxyContainerName = (prefix: string) => `${prefix}-etcd-proxy`;

export interface EtcdProxyArgs {
  host: Host;
  members: pulumi.Input<EtcdMemberAddress[]>;
  image: pulumi.Input<string>;
  prefix: string;
  /** Port published for the operator (127.0.0.1 on docker). */
  operatorPort: number;
  /**
   * With TLS on the members. The proxy itself needs no certificate (L4: TLS runs from each client to a
   * member); this is only what its healthcheck presents (the user-less healthcheck identity).
   */
  tls?: EtcdTlsMaterial;
}

export class EtcdProxy extends pulumi.ComponentResource {
  readonly container: docker.Container;
  /** Client URL for containers of the stack ("http://switchyard-dev-etcd-proxy:2379"; https with TLS). */
  readonly internalEndpoint: pulumi.Output<string>;
  /** Client URL for the operator's machine (`pulumi up`, etcdctl). */
  readonly operatorEndpoint: pulumi.Output<string>;

  constructor(name: string, args: EtcdProxyArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:etcd:EtcdProxy", name, {}, opts);
    const containerName = etcdProxyContainerName(args.prefix);
    const image = etcdImageOn(name, args.host, args.image, this);
    const dial = args.host.dial(containerName, ETCD_CLIENT_PORT);
    this.container = new docker.Container(name, {
      name: containerName,
      image: image.imageId,
      command: pulumi.output(args.members).apply((members) => ["etcd", ...proxyFlags({ members, listenHost: "0.0.0.0", listenPort: ETCD_CLIENT_PORT })]),
      envs: ["ETCDCTL_API=3"],
      hostname: containerName,
      restart: "unless-stopped",
      ...leastPrivilege(),
      networksAdvanced: [{ name: args.host.networkName, aliases: [containerName] }],
      // For the operator, and (where a target publishes internal ports) where the stack's containers dial it.
      ports: [...args.host.publish(ETCD_CLIENT_PORT, "operator", args.operatorPort), ...args.host.publish(ETCD_CLIENT_PORT, "internal", dial.port)],
      ...(args.tls ? { uploads: pkiUploads(args.tls) } : {}),
      healthcheck: etcdHealthcheck(ETCD_CLIENT_PORT, args.tls ? ETCD_PKI_FILES : undefined),
      labels: [
        { label: "switchyard.stack", value: args.prefix },
        { label: "switchyard.role", value: "etcd-proxy" },
      ],
    }, { parent: this, provider: args.host.provider, deleteBeforeReplace: true, ignoreChanges: CONTAINER_IGNORE_CHANGES });
    const scheme = args.tls ? "https" : "http";
    this.internalEndpoint = pulumi.interpolate`${scheme}://${dial.host}:${dial.port}`;
    this.operatorEndpoint = pulumi.interpolate`${scheme}://${args.host.externalAddress("operator")}:${args.operatorPort}`;
    this.registerOutputs({ internalEndpoint: this.internalEndpoint, operatorEndpoint: this.operatorEndpoint });
  }
}
