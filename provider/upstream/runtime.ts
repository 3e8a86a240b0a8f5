/**
 * The provider's runtime: everything the serialized dynamic provider calls, in the shapes Pulumi's
 * dynamic-provider host expects. provider.ts bundles this file (with lib/etcd/*) into one JavaScript text at
 * program start and captures that text in the provider's closure, so the deployed provider needs neither
 * TypeScript nor this checkout's paths: only the packages in node_modules (etcd3, cockatiel, pino).
 */
import { ownedKeyRuntime } from "../etcd-key/runtime";
import { createUpstream, deleteUpstream, readUpstream, updateUpstream } from "./operations";
import { checkUpstream, diffUpstream } from "./spec";

export const { check, diff, create, read, update, remove } = ownedKeyRuntime({
  check: checkUpstream,
  diff: diffUpstream,
  create: (inputs) => createUpstream(inputs),
  read: readUpstream,
  update: (olds, news) => updateUpstream(olds, news),
  remove: (props) => deleteUpstream(props),
});
