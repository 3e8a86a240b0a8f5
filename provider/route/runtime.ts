/**
 * The Route provider's runtime, bundled by provider.ts like the Upstream's (see provider/bundled.ts): the
 * operations in the shapes Pulumi's dynamic-provider host expects.
 */
import { createRoute, deleteRoute, readRoute, updateRoute } from "./operations";
import { checkRoute, diffRoute } from "./spec";

type Props = Record<string, unknown>;

export async function check(_olds: Props, news: Props) {
  return checkRoute(news);
}

export async function diff(_id: string, olds: Props, news: Props) {
  return diffRoute(olds, news);
}

export async function create(inputs: Props) {
  return createRoute(inputs);
}

export async function read(id: string, props: Props) {
  const outs = await readRoute(props);
  // An empty id tells the engine the resource is gone (refresh then drops it; the next up recreates it).
  return outs ? { id, props: outs as unknown as Props } : { id: "", props: {} };
}

export async function update(_id: string, olds: Props, news: Props) {
  return updateRoute(olds, news);
}

export async function remove(_id: string, props: Props) {
  await deleteRoute(props);
}
