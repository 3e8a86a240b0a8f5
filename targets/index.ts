/** Picks the target named in the config. The only place that branches on the target. */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/validate";
import { AwsTarget } from "./aws";
import { DockerTarget } from "./docker";
import { HostsTarget } from "./hosts";
import type { Topology } from "./host";

export interface Target {
  topology: Topology;
  resource: pulumi.ComponentResource;
  /** Extra stack outputs the target contributes (e.g. the network name, host addresses). */
  outputs: Record<string, pulumi.Input<unknown>>;
}

export function createTarget(cfg: StackConfig): Target {
  switch (cfg.target) {
    case "docker": {
      const t = new DockerTarget("docker", {
        prefix: cfg.prefix,
        ...(cfg.docker.host ? { dockerHost: cfg.docker.host } : {}),
        publicBindIp: cfg.docker.publicBindIp,
        etcdMembers: cfg.etcd.members,
      });
      return { topology: t.topology, resource: t, outputs: { network: t.network.name } };
    }
    case "hosts": {
      const h = cfg.hosts!;
      const t = new HostsTarget("hosts", { prefix: cfg.prefix, machines: h.machines, sshOpts: h.sshOpts, etcdMembers: cfg.etcd.members });
      return { topology: t.topology, resource: t, outputs: { hosts: t.hostsOutput } };
    }
    case "aws": {
      const aws = cfg.aws!;
      const t = new AwsTarget("aws", {
        prefix: cfg.prefix,
        region: aws.region,
        operatorCidr: aws.operatorCidr,
        publicCidr: aws.publicCidr,
        backendHosts: aws.backendHosts,
        instanceType: aws.instanceType,
        ami: aws.ami,
        sshUser: aws.sshUser,
        etcdMembers: cfg.etcd.members,
        ports: { etcdProxy: cfg.etcd.proxyPort, gateway: cfg.gateway.port, gatewayStats: cfg.gateway.statsPort },
      });
      return { topology: t.topology, resource: t, outputs: { hosts: t.hostsOutput(aws.sshUser) } };
    }
  }
}
