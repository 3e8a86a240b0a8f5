/**
 * The harness with a program file (the shape of index.ts: top level, config, exported outputs) and with a
 * resource that fails: the update reports the failure, keeps what succeeded, deletes nothing, and the next
 * run picks up from the saved state.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import Docker from "dockerode";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DeploymentError, destroy, up } from "../harness";

const engine = new Docker();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-harness-"));
const PREFIX = "sy-test-harness-prog-";

async function networks(): Promise<Docker.NetworkInspectInfo[]> {
  return (await engine.listNetworks()).filter((n) => n.Name.startsWith(PREFIX));
}

afterAll(async () => {
  for (const f of ["file.json", "fail.json"]) await destroy({ stateFile: path.join(dir, f) }).catch(() => undefined);
  for (const n of await networks()) await engine.getNetwork(n.Id).remove().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("a program file with config", () => {
  const stack = { stateFile: path.join(dir, "file.json"), stack: "filetest", config: { networkName: `${PREFIX}net`, token: "s3cret" }, secretKeys: ["token"] };
  const program = path.join(__dirname, "../harness/fixtures/file-program.ts");

  it("runs the file's top level with the config and returns its exports", async () => {
    const r = await up(program, stack);
    expect(r.outputs).toEqual({ networkName: `${PREFIX}net`, token: "s3cret", stack: "filetest" });
    expect((await networks()).map((n) => n.Labels?.["sy-test.flavour"])).toEqual(["plain"]);
  });

  it("loads the file afresh on the next run, so a config change reaches the program", async () => {
    const same = await up(program, stack);
    expect(same.steps.filter((s) => s.op !== "same")).toEqual([]);
    const changed = await up(program, { ...stack, config: { ...stack.config, flavour: "spicy" } });
    expect(changed.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual(["replace net"]);
    expect((await networks()).map((n) => n.Labels?.["sy-test.flavour"])).toEqual(["spicy"]);
  });

  it("destroy removes what the file declared", async () => {
    const { steps } = await destroy(stack);
    expect(steps.map((s) => `${s.op} ${s.name}`)).toContain("delete net");
    expect(await networks()).toEqual([]);
  });
});

describe("a failing resource", () => {
  const stateFile = path.join(dir, "fail.json");
  const marker = path.join(dir, "created.txt");
  // create fails while the marker says "fail", as a gated Upstream fails when a release is bad.
  const provider: pulumi.dynamic.ResourceProvider = {
    async create(inputs) {
      const fs = require("node:fs");
      if (fs.readFileSync(inputs.marker, "utf8") === "fail") throw new Error("refused by the provider: the release is bad");
      return { id: "ok", outs: inputs };
    },
  };
  class Gate extends pulumi.dynamic.Resource {
    constructor(name: string, props: Record<string, pulumi.Input<string>>, opts: pulumi.CustomResourceOptions) {
      super(provider, name, props, opts);
    }
  }
  /** First "old" and "net"; then "old" leaves and "gate" joins. */
  const program = (first: boolean) => () => {
    const kept = first ? new docker.Network("old", { name: `${PREFIX}old` }) : undefined;
    const net = new docker.Network("net", { name: `${PREFIX}fail` });
    const gate = first ? undefined : new Gate("gate", { marker, after: net.name }, { dependsOn: [net] });
    return { gate: gate?.id, kept: kept?.name };
  };

  it("fails the update with the provider's message, keeps what was created, deletes nothing", async () => {
    await up(program(true), { stateFile });
    fs.writeFileSync(marker, "fail");
    const failed = await up(program(false), { stateFile }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(DeploymentError);
    expect((failed as Error).message).toMatch(/gate: refused by the provider: the release is bad/);
    // "old" left the program, but a failed update deletes nothing.
    expect((failed as DeploymentError).steps.map((s) => s.op)).not.toContain("delete");
    expect((await networks()).map((n) => n.Name).sort()).toEqual([`${PREFIX}fail`, `${PREFIX}old`]);
    const state = JSON.parse(fs.readFileSync(stateFile, "utf8"));
    expect(state.resources.map((r: { name: string }) => r.name)).not.toContain("gate");
  });

  it("the next update creates what failed, then deletes what left the program", async () => {
    fs.writeFileSync(marker, "ok");
    const r = await up(program(false), { stateFile });
    expect(r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual(["create gate", "delete old"]);
    expect((await networks()).map((n) => n.Name)).toEqual([`${PREFIX}fail`]);
    await destroy({ stateFile });
    expect(await networks()).toEqual([]);
  });
});
