/**
 * What the CLI reads besides the program: the project name and config defaults from Pulumi.yaml, and the
 * stack's values from Pulumi.<stack>.yaml, both next to the program file. Values the CLI would hand over
 * as JSON (numbers, booleans, arrays) are stringified the same way; encrypted secrets cannot be read.
 */
import fs from "node:fs";
import path from "node:path";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const yaml = require("js-yaml") as { load(text: string): unknown };

type Yaml = Record<string, unknown>;

const readYaml = (file: string): Yaml | undefined => (fs.existsSync(file) ? ((yaml.load(fs.readFileSync(file, "utf8")) ?? {}) as Yaml) : undefined);
const asConfigString = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
const qualify = (project: string, key: string) => (key.includes(":") ? key : `${project}:${key}`);

export interface ProjectFiles {
  project?: string;
  config: Record<string, string>;
}

export function readProjectFiles(programFile: string, stack: string): ProjectFiles {
  const dir = path.dirname(path.resolve(programFile));
  const project = readYaml(path.join(dir, "Pulumi.yaml"));
  if (!project) return { config: {} };
  const name = String(project.name);
  const config: Record<string, string> = {};
  for (const [key, spec] of Object.entries((project.config ?? {}) as Yaml)) {
    const dflt = typeof spec === "object" && spec !== null && "default" in spec ? (spec as Yaml).default : typeof spec !== "object" ? spec : undefined;
    if (dflt !== undefined) config[qualify(name, key)] = asConfigString(dflt);
  }
  for (const [key, value] of Object.entries(((readYaml(path.join(dir, `Pulumi.${stack}.yaml`)) ?? {}).config ?? {}) as Yaml)) {
    if (typeof value === "object" && value !== null && "secure" in value) {
      throw new Error(`Pulumi.${stack}.yaml: ${key} is an encrypted secret, which the harness cannot decrypt; pass it in the config option instead`);
    }
    config[qualify(name, key)] = asConfigString(value);
  }
  return { project: name, config };
}
