/** Picks the target named in the config. The only place that branches on the target. */
import type * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config/validate";
import { DockerTarget } from "./docker";
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
    case "aws":
      throw new Error("switchyard:target = aws is not available yet: the AWS target is tracked as its own issue. Use target docker for now (pulumi config set target docker).");
  }
}
