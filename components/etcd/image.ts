import * as docker from "@pulumi/docker";
import type * as pulumi from "@pulumi/pulumi";
import type { Host } from "../../targets/host";

/**
 * The etcd image on one host, pulled by the Docker daemon of that host. `keepLocally`: destroying the stack
 * must not delete an image other stacks on the same daemon may use.
 */
export function etcdImageOn(name: string, host: Host, image: pulumi.Input<string>, parent: pulumi.Resource): docker.RemoteImage {
  return new docker.RemoteImage(`${name}-image-${host.name}`, { name: image, keepLocally: true }, { parent, provider: host.provider });
}
