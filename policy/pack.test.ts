import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { policies } from "./policies";

const read = (file: string) => fs.readFileSync(path.join(__dirname, file), "utf8");

describe("the policy pack", () => {
  it("has unique, well-formed policy names, each with a description and an explicit enforcement level", () => {
    const names = policies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const p of policies) {
      expect(p.name).toMatch(/^[a-z0-9-]+$/);
      expect(p.description.length).toBeGreaterThan(20);
      expect(["mandatory", "advisory"]).toContain(p.enforcementLevel);
    }
  });

  it("pins @pulumi/policy and @pulumi/pulumi to the root's versions, so the pack runs what the tests ran", () => {
    const root = JSON.parse(read("../package.json"));
    const pack = JSON.parse(read("package.json"));
    const rootVersions = { ...root.dependencies, ...root.devDependencies };
    expect(pack.version).toMatch(/^\d+\.\d+\.\d+$/); // PolicyPack refuses to start without one
    expect(pack.dependencies["@pulumi/policy"]).toBe(rootVersions["@pulumi/policy"]);
    expect(pack.dependencies["@pulumi/pulumi"]).toBe(rootVersions["@pulumi/pulumi"]);
  });

  it("declares a nodejs policy pack named like the PolicyPack", () => {
    const yaml = read("PulumiPolicy.yaml");
    expect(yaml).toMatch(/^runtime: nodejs$/m);
    expect(yaml).toMatch(/^name: switchyard$/m);
    expect(read("index.ts")).toContain('new PolicyPack("switchyard"');
  });
});

describe("policy/config.production.json", () => {
  it("names only policies of the pack, with valid enforcement levels", () => {
    const config = JSON.parse(read("config.production.json")) as Record<string, string | { enforcementLevel: string }>;
    const names = new Set(policies.map((p) => p.name));
    for (const [name, value] of Object.entries(config)) {
      expect(name === "all" || names.has(name), name).toBe(true);
      const level = typeof value === "string" ? value : value.enforcementLevel;
      expect(["advisory", "mandatory", "remediate", "disabled"]).toContain(level);
    }
  });
});
