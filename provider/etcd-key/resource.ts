/**
 * What every owned-key resource (Upstream, Route) takes besides its own fields, and the resource options they
 * share: the connection is a secret output (it may carry a password or a TLS key).
 */
import type * as pulumi from "@pulumi/pulumi";
import type { EtcdConnection } from "../../lib/etcd/client";
import type { GateSettings } from "./spec";

export interface OwnedKeyArgs {
  /** Key schema root. Default "/switchyard". */
  root?: pulumi.Input<string>;
  /** How to reach etcd (the proxy). Stored as a secret output: it may carry a password or TLS key. */
  connection: pulumi.Input<EtcdConnection>;
  /** Wait for the gateways after each write. Default { enabled: true, timeoutMs: 120000 }. */
  gate?: pulumi.Input<Partial<GateSettings>>;
  /** Take over a key that already exists with another value. Default false: fail and explain. */
  adopt?: pulumi.Input<boolean>;
}

/** The options of an owned-key resource: the caller's, with the connection kept secret. */
export const ownedKeyOptions = (opts?: pulumi.CustomResourceOptions): pulumi.CustomResourceOptions => ({
  ...opts,
  additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"],
});
