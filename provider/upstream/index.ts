/**
 * `Upstream`: one etcd upstream key (<root>/services/<service>/upstream/<endpoint>) as a Pulumi resource,
 * gated on the gateways (see README "The Upstream resource"), and `upstreamForContainer`, the one-liner a
 * component uses to register a container it runs.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EtcdConnection } from "../../lib/etcd/client";
import { formatUpstreamValue, type UpstreamMeta } from "../../lib/etcd/keys";
import { ownedKeyOptions, type OwnedKeyArgs } from "../etcd-key/resource";
import { upstreamProvider } from "./provider";
import type { UpstreamGateSettings } from "./spec";

export { upstreamProvider } from "./provider";
export type { UpstreamGateSettings, UpstreamOuts, UpstreamProps } from "./spec";

/** Dynamic resources get `pulumi-nodejs:dynamic/<module>:<type>`; this is ours. */
export const UPSTREAM_MODULE = "switchyard";
export const UPSTREAM_TYPE_NAME = "Upstream";
export const UPSTREAM_TYPE = `pulumi-nodejs:dynamic/${UPSTREAM_MODULE}:${UPSTREAM_TYPE_NAME}`;

export interface UpstreamArgs extends OwnedKeyArgs {
  /** Service name: <root>/services/<service>/... Give service + endpoint, or key. */
  service?: pulumi.Input<string>;
  /** Endpoint name, unique within the service (e.g. the container name). */
  endpoint?: pulumi.Input<string>;
  /** The full key instead of service + endpoint; must lie under root. */
  key?: pulumi.Input<string>;
  /** "host:port", or JSON {"addr":"host:port", ...metadata} (see formatUpstreamValue). */
  value: pulumi.Input<string>;
}

export class Upstream extends pulumi.dynamic.Resource {
  declare readonly key: pulumi.Output<string>;
  declare readonly root: pulumi.Output<string>;
  declare readonly service: pulumi.Output<string>;
  declare readonly endpoint: pulumi.Output<string>;
  declare readonly value: pulumi.Output<string>;
  /** "host:port" the gateways dial. */
  declare readonly addr: pulumi.Output<string>;
  /** etcd mod revision of the key as last written or refreshed. */
  declare readonly revision: pulumi.Output<number>;
  declare readonly gateResult: pulumi.Output<{ gateways: string[]; noGateways: boolean; waitedMs: number } | undefined>;

  constructor(name: string, args: UpstreamArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      key: args.key,
      root: args.root,
      service: args.service,
      endpoint: args.endpoint,
      adopt: args.adopt,
      gate: args.gate,
      addr: undefined,
      revision: undefined,
      gateResult: undefined,
    };
    super(upstreamProvider, name, props, ownedKeyOptions(opts), UPSTREAM_MODULE, UPSTREAM_TYPE_NAME);
  }
}

export interface UpstreamForContainerArgs {
  service: pulumi.Input<string>;
  /** Endpoint id; usually the container's name. */
  endpoint: pulumi.Input<string>;
  /** "host:port" from the container's outputs (e.g. host IP + published port). */
  addr: pulumi.Input<string>;
  /** Metadata carried in the JSON value (version, source, container, image, healthPath, ...). */
  meta?: pulumi.Input<UpstreamMeta>;
  connection: pulumi.Input<EtcdConnection>;
  root?: pulumi.Input<string>;
  gate?: pulumi.Input<Partial<UpstreamGateSettings>>;
}

/**
 * One line per container in a component:
 *   upstreamForContainer(`${name}-${i}`, { service, endpoint: c.name, addr, meta: { version }, connection }, { parent: this, dependsOn: [c] })
 * The value records `source: "pulumi"` unless meta says otherwise, so a conflict message can tell who wrote a key.
 * Pass the container in dependsOn (or derive addr from its outputs): Pulumi then deletes the Upstream — and
 * waits for the gateways to drain it — before it removes the container.
 */
export function upstreamForContainer(name: string, args: UpstreamForContainerArgs, opts?: pulumi.CustomResourceOptions): Upstream {
  const value = pulumi
    .all([args.addr, args.meta ?? {}])
    .apply(([addr, meta]) => formatUpstreamValue(addr, { source: "pulumi", ...(meta as UpstreamMeta) }));
  return new Upstream(name, {
    service: args.service,
    endpoint: args.endpoint,
    root: args.root,
    value,
    connection: args.connection,
    gate: args.gate,
  }, opts);
}
