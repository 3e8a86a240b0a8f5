/**
 * `EtcdAccess`: etcd's users, roles and grants of a stack, and `auth enable`, as one Pulumi resource
 * (bootstrap through the operator's root certificate; idempotent — see lib/etcd/access.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import type { AccessPlan } from "../../lib/etcd/access";
import type { EtcdConnection } from "../../lib/etcd/client";
import { accessProvider } from "./provider";

export const ACCESS_MODULE = "switchyard";
export const ACCESS_TYPE_NAME = "EtcdAccess";

export interface EtcdAccessArgs {
  /** The operator's connection: the root identity's client certificate. Stored as a secret. */
  connection: pulumi.Input<EtcdConnection>;
  plan: pulumi.Input<AccessPlan>;
  /** How long create/update wait for etcd to answer (a fresh cluster). Default 60000. */
  waitMs?: pulumi.Input<number>;
}

export class EtcdAccess extends pulumi.dynamic.Resource {
  declare readonly plan: pulumi.Output<AccessPlan>;
  /** What the last create/update changed (empty lists when the cluster already matched). */
  declare readonly applied: pulumi.Output<{ created: string[]; changed: string[] }>;

  constructor(name: string, args: EtcdAccessArgs, opts?: pulumi.CustomResourceOptions) {
    super(accessProvider, name, { ...args, connection: pulumi.secret(args.connection), applied: undefined }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "connection"],
    }, ACCESS_MODULE, ACCESS_TYPE_NAME);
  }
}
