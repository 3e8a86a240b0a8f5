/**
 * Reads the stack's config through Pulumi and validates it (validate.ts). The only Pulumi-aware part of
 * config handling.
 */
import * as pulumi from "@pulumi/pulumi";
import { SETTINGS } from "./settings";
import { validateConfig, type StackConfig } from "./validate";

/**
 * Raw text of every switchyard setting that is set. Accepts both forms a user may write:
 * `pulumi config set backend.version v2` (a flat key) and `pulumi config set --path backend.version v2`
 * (an object "backend" with a field "version").
 */
export function readRawConfig(config: pulumi.Config): Record<string, string | undefined> {
  const raw: Record<string, string | undefined> = {};
  const objects = new Map<string, Record<string, unknown> | undefined>();
  for (const spec of SETTINGS) {
    let text = config.get(spec.key);
    const dot = spec.key.indexOf(".");
    if (text === undefined && dot > 0) {
      const head = spec.key.slice(0, dot);
      if (!objects.has(head)) objects.set(head, config.getObject<Record<string, unknown>>(head));
      const field = objects.get(head)?.[spec.key.slice(dot + 1)];
      if (field !== undefined) text = typeof field === "string" ? field : JSON.stringify(field);
    }
    if (text !== undefined) raw[spec.key] = text;
  }
  return raw;
}

/** Keys set in the project namespace that are no setting (typos), so validation can name them. */
export function unknownKeys(all: Record<string, string>, project: string): Record<string, string> {
  const known = new Set(SETTINGS.map((s) => s.key));
  const heads = new Set(SETTINGS.filter((s) => s.key.includes(".")).map((s) => s.key.split(".")[0]));
  const out: Record<string, string> = {};
  for (const [full, value] of Object.entries(all)) {
    if (!full.startsWith(`${project}:`)) continue;
    const key = full.slice(project.length + 1);
    if (!known.has(key) && !heads.has(key)) out[key] = value;
  }
  return out;
}

export function loadConfig(): StackConfig {
  const project = pulumi.getProject();
  const raw = { ...unknownKeys(pulumi.runtime.allConfig(), project), ...readRawConfig(new pulumi.Config()) };
  return validateConfig(raw, project, pulumi.getStack());
}
