import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readProjectFiles } from "./project";

describe("readProjectFiles", () => {
  it("takes the project name, Pulumi.yaml defaults and the stack file's values, as the CLI would", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-harness-project-"));
    try {
      fs.writeFileSync(path.join(dir, "Pulumi.yaml"), [
        "name: demo", "runtime: nodejs", "config:",
        "  backend.version:", "    type: string", "    default: v1",
        "  backend.replicas:", "    type: integer", "    default: 2",
        "  backend.hosts:", "    type: array", "    default: []",
        "  aws:region:", "    type: string",
      ].join("\n"));
      fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  demo:backend.version: v2\n  gateway.kind: haproxy\n");
      const r = readProjectFiles(path.join(dir, "index.ts"), "dev");
      expect(r).toEqual({
        project: "demo",
        config: { "demo:backend.version": "v2", "demo:backend.replicas": "2", "demo:backend.hosts": "[]", "demo:gateway.kind": "haproxy" },
      });
      fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  demo:token:\n    secure: AAABAxyz\n");
      expect(() => readProjectFiles(path.join(dir, "index.ts"), "dev")).toThrow(/encrypted secret/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reads the real project's files", () => {
    const r = readProjectFiles(path.join(__dirname, "../../index.ts"), "dev");
    expect(r.project).toBe("switchyard");
    expect(r.config["switchyard:backend.version"]).toBe("v1");
  });
});
