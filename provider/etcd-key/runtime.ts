/**
 * The runtime module shape of an owned-key provider (what provider/bundled.ts loads): the kind's pure check
 * and diff and its operations, wrapped in the shapes Pulumi's dynamic-provider host expects.
 */
type Props = Record<string, unknown>;

export interface OwnedKeyOperations {
  check(news: Props): { inputs: Props; failures: { property: string; reason: string }[] };
  diff(olds: Props, news: Props): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean };
  create(inputs: Props): Promise<{ id: string; outs: object }>;
  read(props: Props): Promise<object | undefined>;
  update(olds: Props, news: Props): Promise<{ outs: object }>;
  remove(props: Props): Promise<unknown>;
}

export function ownedKeyRuntime(ops: OwnedKeyOperations) {
  return {
    check: async (_olds: Props, news: Props) => ops.check(news),
    diff: async (_id: string, olds: Props, news: Props) => ops.diff(olds, news),
    create: async (inputs: Props) => ops.create(inputs),
    async read(id: string, props: Props) {
      const outs = await ops.read(props);
      // An empty id tells the engine the resource is gone (refresh then drops it; the next up recreates it).
      return outs ? { id, props: outs as Props } : { id: "", props: {} };
    },
    update: async (_id: string, olds: Props, news: Props) => ops.update(olds, news),
    async remove(_id: string, props: Props) {
      await ops.remove(props);
    },
  };
}
