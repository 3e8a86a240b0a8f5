/**
 * `Route`: a service's route key (<root>/services/<service>/route — the Host headers routed to it, whether it
 * is the default service, cookie stickiness) as a Pulumi resource, owned and gated like an Upstream: created
 * only if absent (or ours, or adopted), updated and deleted only while it holds what this resource wrote, and
 * each write returns only once every live gateway has applied it.
 */
import * as pulumi from "@pulumi/pulumi";
import { ownedKeyOptions, type OwnedKeyArgs } from "../etcd-key/resource";
import { routeProvider } from "./provider";

export type { RouteOuts, RouteProps } from "./spec";

export const ROUTE_MODULE = "switchyard";
export const ROUTE_TYPE_NAME = "Route";
export const ROUTE_TYPE = `pulumi-nodejs:dynamic/${ROUTE_MODULE}:${ROUTE_TYPE_NAME}`;

export interface RouteArgs extends OwnedKeyArgs {
  service: pulumi.Input<string>;
  /** Host headers routed to the service (a.b.com). Default none. */
  hosts?: pulumi.Input<pulumi.Input<string>[]>;
  /** Takes requests whose Host no service claims. Default false. */
  default?: pulumi.Input<boolean>;
  /** Cookie stickiness (SERVERID). Default false. */
  sticky?: pulumi.Input<boolean>;
}

export class Route extends pulumi.dynamic.Resource {
  declare readonly key: pulumi.Output<string>;
  declare readonly service: pulumi.Output<string>;
  declare readonly hosts: pulumi.Output<string[]>;
  declare readonly default: pulumi.Output<boolean>;
  declare readonly sticky: pulumi.Output<boolean>;
  /** The JSON written. */
  declare readonly value: pulumi.Output<string>;
  declare readonly revision: pulumi.Output<number>;

  constructor(name: string, args: RouteArgs, opts?: pulumi.CustomResourceOptions) {
    const props = {
      ...args,
      root: args.root,
      hosts: args.hosts,
      default: args.default,
      sticky: args.sticky,
      adopt: args.adopt,
      gate: args.gate,
      key: undefined,
      value: undefined,
      revision: undefined,
      gateResult: undefined,
    };
    super(routeProvider, name, props, ownedKeyOptions(opts), ROUTE_MODULE, ROUTE_TYPE_NAME);
  }
}
