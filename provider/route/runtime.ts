/**
 * The Route provider's runtime, bundled by provider.ts like the Upstream's (see provider/bundled.ts): the
 * operations in the shapes Pulumi's dynamic-provider host expects.
 */
import { ownedKeyRuntime } from "../etcd-key/runtime";
import { createRoute, deleteRoute, readRoute, updateRoute } from "./operations";
import { checkRoute, diffRoute } from "./spec";

export const { check, diff, create, read, update, remove } = ownedKeyRuntime({
  check: checkRoute,
  diff: diffRoute,
  create: (inputs) => createRoute(inputs),
  read: readRoute,
  update: (olds, news) => updateRoute(olds, news),
  remove: (props) => deleteRoute(props),
});
