import fs from "node:fs";
import path from "node:path";
import yaml from "js-yaml";
import { describe, expect, it } from "vitest";
import { SETTINGS } from "./settings";

const ROOT = path.resolve(__dirname, "..");

describe("the settings table is the single source of the config reference", () => {
  const project = yaml.load(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as { config: Record<string, { type: string; default?: unknown; description: string }> };

  it("Pulumi.yaml declares exactly the settings, with the same types, defaults and descriptions", () => {
    expect(Object.keys(project.config).sort()).toEqual(SETTINGS.map((s) => s.key).sort());
    for (const s of SETTINGS) {
      const y = project.config[s.key];
      expect({ key: s.key, type: y.type, default: y.default, description: y.description }).toEqual({ key: s.key, type: s.type, default: s.default, description: s.description });
    }
  });

  it("README's configuration reference lists every setting with its default", () => {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.split("## Configuration reference")[1]?.split("\n## ")[0] ?? "";
    expect(section, "README has a '## Configuration reference' section").not.toBe("");
    for (const s of SETTINGS) {
      const row = section.split("\n").find((l) => l.startsWith(`| \`${s.key}\``));
      expect(row, `README row for ${s.key}`).toBeDefined();
      if (s.default !== undefined && s.default !== "" && !(Array.isArray(s.default) && s.default.length === 0)) {
        expect(row).toContain(`\`${Array.isArray(s.default) ? JSON.stringify(s.default) : String(s.default)}\``);
      }
    }
  });
});
