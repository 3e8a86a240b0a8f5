/**
 * The whole switchyard stack from a validated config: the target's hosts, then the parts placed on them.
 * index.ts calls this and exports what it returns; tests call it under Pulumi mocks.
 */
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/validate";
import { createTarget } from "../targets";
import { EtcdCluster } from "./etcd/cluster";
import { clusterToken } from "./etcd/flags";
import { EtcdProxy } from "./etcd/proxy";

export interface StackOutputs {
  /** etcd client URL for the operator (`etcdctl --endpoints=...`, the Upstream provider). */
  etcdEndpoint: pulumi.Output<string>;
  /** etcd client URL for containers of the stack. */
  etcdInternalEndpoint: pulumi.Output<string>;
  etcdMembers: string[];
  network?: pulumi.Input<unknown>;
  servicesRoot: string;
}

export function buildStack(cfg: StackConfig): StackOutputs {
  const target = createTarget(cfg);
  const { topology } = target;
  const etcd = new EtcdCluster("etcd", {
    hosts: topology.etcdHosts,
    image: cfg.etcd.image,
    clusterToken: clusterToken(cfg.project, cfg.stack),
    prefix: cfg.prefix,
  });
  const proxy = new EtcdProxy("etcd-proxy", {
    host: topology.gatewayHost,
    members: etcd.members,
    image: cfg.etcd.image,
    prefix: cfg.prefix,
    operatorPort: cfg.etcd.proxyPort,
  }, { dependsOn: etcd });
  return {
    etcdEndpoint: proxy.operatorEndpoint,
    etcdInternalEndpoint: proxy.internalEndpoint,
    etcdMembers: etcd.memberNames,
    servicesRoot: cfg.root,
    ...target.outputs,
  };
}
