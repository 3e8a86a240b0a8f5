/**
 * The provider's runtime: everything the serialized dynamic provider calls, in the shapes Pulumi's
 * dynamic-provider host expects. provider.ts bundles this file (with lib/etcd/*) into one JavaScript text at
 * program start and captures that text in the provider's closure, so the deployed provider needs neither
 * TypeScript nor this checkout's paths: only the packages in node_modules (etcd3, cockatiel, pino).
 */
import { createUpstream, deleteUpstream, readUpstream, updateUpstream } from "./operations";
import { checkUpstream, diffUpstream } from "./spec";

type Props = Record<string, unknown>;

export async function check(_olds: Props, news: Props) {
  return checkUpstream(news);
}

export async function diff(_id: string, olds: Props, news: Props) {
  return diffUpstream(olds, news);
}

export async function create(inputs: Props) {
  return createUpstream(inputs);
}

export async function read(id: string, props: Props) {
  const outs = await readUpstream(props);
  // An empty id tells the engine the resource is gone (refresh then drops it; the next up recreates it).
  return outs ? { id, props: outs as unknown as Props } : { id: "", props: {} };
}

export async function update(_id: string, olds: Props, news: Props) {
  return updateUpstream(olds, news);
}

export async function remove(_id: string, props: Props) {
  await deleteUpstream(props);
}
