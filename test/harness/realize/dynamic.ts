/**
 * Runs dynamic resources (`pulumi-nodejs:dynamic:Resource`) the way @pulumi/pulumi/cmd/dynamic-provider
 * does: the `__provider` input is the serialized provider module text; it is loaded with
 * require-from-string, `.handler()` yields the provider object, and check/diff/create/update/delete are
 * called with plain property bags. Olds passed to diff/update/delete are the recorded outputs, as the
 * engine does.
 */
export const PROVIDER_KEY = "__provider";

type Props = Record<string, unknown>;
interface DynamicProvider {
  configure?(req: { config: unknown }): Promise<void>;
  check?(olds: Props, news: Props): Promise<{ inputs?: Props; failures?: { property: string; reason: string }[] }>;
  diff?(id: string, olds: Props, news: Props): Promise<{ changes?: boolean; replaces?: string[]; deleteBeforeReplace?: boolean }>;
  create(inputs: Props): Promise<{ id: string; outs?: Props }>;
  update?(id: string, olds: Props, news: Props): Promise<{ outs?: Props }>;
  delete?(id: string, props: Props): Promise<void>;
}

const cache = new Map<string, DynamicProvider>();

async function load(props: Props, project: string): Promise<DynamicProvider> {
  const text = props[PROVIDER_KEY];
  if (typeof text !== "string") throw new Error(`dynamic resource has no serialized ${PROVIDER_KEY} input`);
  let provider = cache.get(text);
  if (!provider) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const requireFromString = require("require-from-string") as (code: string) => { handler(): DynamicProvider };
    provider = requireFromString(text).handler();
    cache.set(text, provider);
    if (provider.configure) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { Config } = require("@pulumi/pulumi/cmd/dynamic-provider/config");
      await provider.configure({ config: new Config({}, project) });
    }
  }
  return provider;
}

const withProvider = (outs: Props | undefined, props: Props): Props => ({ ...(outs ?? {}), [PROVIDER_KEY]: props[PROVIDER_KEY] });

export async function checkDynamic(olds: Props, news: Props, project: string): Promise<Props> {
  const p = await load(news, project);
  if (!p.check) return news;
  const r = await p.check(olds, news);
  if (r.failures?.length) throw new Error(`check failed: ${r.failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  return { ...(r.inputs ?? news), [PROVIDER_KEY]: news[PROVIDER_KEY] };
}

export type DynamicDiff = "none" | "update" | "replace" | "replace-delete-first";

/** Without a diff method the engine compares inputs (the caller passes `inputsChanged`). */
export async function diffDynamic(id: string, oldOutputs: Props, news: Props, inputsChanged: boolean, project: string): Promise<DynamicDiff> {
  const p = await load(news, project);
  if (!p.diff) return inputsChanged ? "update" : "none";
  const r = await p.diff(id, oldOutputs, news);
  if (r.replaces?.length) return r.deleteBeforeReplace ? "replace-delete-first" : "replace";
  if (r.changes === false) return "none";
  if (r.changes === true) return "update";
  return inputsChanged ? "update" : "none"; // DIFF_UNKNOWN: the engine falls back to comparing inputs
}

export async function createDynamic(inputs: Props, project: string): Promise<{ id: string; outputs: Props }> {
  const p = await load(inputs, project);
  const r = await p.create(inputs);
  return { id: r.id, outputs: withProvider(r.outs, inputs) };
}

export async function updateDynamic(id: string, oldOutputs: Props, news: Props, project: string): Promise<Props> {
  const p = await load(news, project);
  if (!p.update) throw new Error("the dynamic provider has no update method but its diff asked for an update");
  const r = await p.update(id, oldOutputs, news);
  return withProvider(r.outs, news);
}

/** Deletes with the provider the resource was created with (its recorded `__provider`). */
export async function deleteDynamic(id: string, outputs: Props, project: string): Promise<void> {
  const p = await load(outputs, project);
  if (p.delete) await p.delete(id, outputs);
}
