/**
 * The deployment harness against the real Docker engine: a tiny program goes through up, an unchanged up,
 * a changed input, a removed resource and destroy, with the order of each step asserted from the harness log.
 */
import Docker from "dockerode";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroy, up, type Step } from "../harness";
import { PREFIX, tinyProgram, type TinyKnobs } from "../harness/fixtures/tiny-program";

const docker = new Docker();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-harness-"));
const stateFile = path.join(dir, "state.json");
const file = path.join(dir, "written-by-dynamic-provider.txt");
const stack = { stateFile, project: "harnesstest", stack: "t" };
// The base image under a tag of the test's own: removing an extra tag always succeeds (it only untags, even
// with child images or containers using the image), so a harness that ignored keepLocally would remove it.
const BASE_TAG = `${PREFIX}base:keep`;
const knobs = (k: Partial<TinyKnobs> = {}): TinyKnobs => ({ variant: "a", file, full: true, baseImage: BASE_TAG, ...k });

async function leftovers(): Promise<string[]> {
  const byName = (n: string) => n.replace(/^\//, "").startsWith(PREFIX);
  const containers = (await docker.listContainers({ all: true })).filter((c) => c.Names.some(byName)).map((c) => `container ${c.Names[0]}`);
  const networks = (await docker.listNetworks()).filter((n) => byName(n.Name)).map((n) => `network ${n.Name}`);
  const volumes = ((await docker.listVolumes()).Volumes ?? []).filter((v) => byName(v.Name)).map((v) => `volume ${v.Name}`);
  return [...containers, ...networks, ...volumes];
}

async function removeLeftovers(): Promise<void> {
  for (const c of (await docker.listContainers({ all: true })).filter((c) => c.Names.some((n) => n.startsWith(`/${PREFIX}`)))) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const n of (await docker.listNetworks()).filter((n) => n.Name.startsWith(PREFIX))) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  for (const v of ((await docker.listVolumes()).Volumes ?? []).filter((v) => v.Name.startsWith(PREFIX))) await docker.getVolume(v.Name).remove().catch(() => undefined);
}

const idx = (steps: Step[], op: string, name: string) => steps.findIndex((s) => s.op === op && s.name === name);
const changed = (steps: Step[]) => steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);

describe("deployment harness", () => {
  beforeAll(async () => {
    await removeLeftovers();
    const [repo, tag] = BASE_TAG.split(":");
    await docker.getImage("debian:bookworm-slim").tag({ repo, tag });
  });
  afterAll(async () => {
    await destroy(stack).catch(() => undefined);
    await removeLeftovers();
    await docker.getImage(`${PREFIX}tiny:1`).remove({ force: true }).catch(() => undefined);
    await docker.getImage(BASE_TAG).remove().catch(() => undefined); // only untags: debian:bookworm-slim stays
    fs.rmSync(dir, { recursive: true, force: true });
  });

  let firstUp: Awaited<ReturnType<typeof up>>;

  it("creates every resource in dependency order with real outputs", async () => {
    firstUp = await up(() => tinyProgram(knobs()), stack);
    const s = firstUp.steps;
    expect(changed(s).sort()).toEqual(["create base", "create data", "create file", "create first", "create image", "create net", "create second"]);
    // Everything a container needs exists before it; the dependent container and the file come after.
    expect(idx(s, "create", "base")).toBeLessThan(idx(s, "create", "image"));
    for (const dep of ["net", "image"]) expect(idx(s, "create", dep)).toBeLessThan(idx(s, "create", "first"));
    expect(idx(s, "create", "data")).toBeLessThan(idx(s, "create", "second"));
    expect(idx(s, "create", "first")).toBeLessThan(idx(s, "create", "second"));
    expect(idx(s, "create", "second")).toBeLessThan(idx(s, "create", "file"));

    const o = firstUp.outputs;
    expect(o.firstPort).toBeGreaterThan(0); // assigned by the engine, not by the program
    const published = (await docker.getContainer(`${PREFIX}first`).inspect()).NetworkSettings.Ports["8080/tcp"]?.[0];
    expect(published).toEqual({ HostIp: "127.0.0.1", HostPort: String(o.firstPort) });
    expect(o.firstIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(o.networkGateway).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(fs.readFileSync(file, "utf8")).toBe(`second=${o.secondId}`);
    expect(o.fileContent).toBe(`second=${o.secondId}`);

    // Inputs reached the engine: env from another resource's output, volume, alias, restart, healthcheck.
    const second = await docker.getContainer(`${PREFIX}second`).inspect();
    expect(second.Config.Env).toEqual(expect.arrayContaining([`FIRST=${PREFIX}first`, "VARIANT=a"]));
    expect(second.Mounts.map((m) => `${m.Name}:${m.Destination}`)).toContain(`${PREFIX}data:/data`);
    const first = await docker.getContainer(`${PREFIX}first`).inspect();
    expect(first.NetworkSettings.Networks[`${PREFIX}net`].Aliases).toContain("first-alias");
    expect(first.HostConfig.RestartPolicy?.Name).toBe("unless-stopped");
    expect(first.Config.Healthcheck?.Test).toEqual(["CMD", "test", "-f", "/greeting"]);
  });

  it("leaves everything untouched when nothing changed", async () => {
    const again = await up(() => tinyProgram(knobs()), stack);
    expect(changed(again.steps)).toEqual([]);
    expect(again.outputs).toEqual(firstUp.outputs);
  });

  it("replaces a container whose input changed, deleting it first, and leaves the others", async () => {
    const before = (await docker.getContainer(`${PREFIX}first`).inspect()).Id;
    const r = await up(() => tinyProgram(knobs({ variant: "b" })), stack);
    // The file's content carries the second container's id, so it is updated, in place, after the replacement.
    expect(changed(r.steps)).toEqual(["replace second", "update file"]);
    expect(r.steps.find((s) => s.name === "second")!.detail).toBe("delete-before-replace");
    expect(r.outputs.secondId).not.toBe(firstUp.outputs.secondId);
    await expect(docker.getContainer(String(firstUp.outputs.secondId)).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getContainer(`${PREFIX}second`).inspect()).Config.Env).toContain("VARIANT=b");
    expect((await docker.getContainer(`${PREFIX}first`).inspect()).Id).toBe(before);
    expect(fs.readFileSync(file, "utf8")).toBe(`second=${r.outputs.secondId}`);
  });

  it("deletes resources that left the program after the creates, dependents first", async () => {
    const r = await up(() => tinyProgram(knobs({ full: false })), stack);
    expect(changed(r.steps)).toEqual(["create third", "delete file", "delete second"]);
    expect(r.steps.find((s) => s.op === "create")!.finished).toBeLessThanOrEqual(r.steps.find((s) => s.op === "delete")!.started);
    expect(fs.existsSync(file)).toBe(false);
    await expect(docker.getContainer(`${PREFIX}second`).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect((await docker.getContainer(`${PREFIX}third`).inspect()).State.Running).toBe(true);
  });

  it("destroy deletes everything, dependents before what they depend on", async () => {
    const { steps } = await destroy(stack);
    const order = steps.map((s) => s.name);
    expect(order.indexOf("third")).toBeLessThan(order.indexOf("first"));
    for (const c of ["first", "third"]) expect(order.indexOf(c)).toBeLessThan(order.indexOf("net"));
    expect(order).toEqual(expect.arrayContaining(["first", "third", "net", "data", "image"]));
    expect(await leftovers()).toEqual([]);
    // keepLocally: the RemoteImage leaves the state (a delete step) while the image it names stays.
    expect(steps.filter((s) => s.name === "base").map((s) => s.op)).toEqual(["delete"]);
    expect((await docker.getImage(BASE_TAG).inspect()).RepoTags).toContain(BASE_TAG);
    expect(JSON.parse(fs.readFileSync(stateFile, "utf8")).resources).toEqual([]);
  });
});
