/**
 * The planned steps of each change of the change matrix, under mocks: the program runs with the config
 * before and after, and the difference is what `pulumi up` would do — resources only after (created), only
 * before (deleted), in both with other inputs (changed in place: a replacement for a container). Backend
 * changes must create and delete whole generations and never change a backend container or key in place;
 * everything else in the stack must stay untouched. The e2e change matrix runs the same rows on Docker.
 */
import { describe, expect, it } from "vitest";
import { plan } from "./helpers/change-plan";
import { runProgram, type ProgramRun } from "./helpers/pulumi-program";

const BASE = { "backend.version": "v1" };
/** Each test runs the program two or three times (a few seconds each on a loaded machine). */
const PROGRAM_RUNS_MS = 90_000;

const backendNames = (r: ProgramRun) => r.resources.filter((x) => /^app-v/.test(x.name)).map((x) => x.name).sort();
const generation = (name: string) => /^app-(v[^-]+-[0-9a-f]{6})-/.exec(name)?.[1];

describe("planned steps of each change (under mocks)", () => {
  const newGeneration: [string, Record<string, string | string[]>][] = [
    ["backend.version", { "backend.version": "v2" }],
    ["backend.env", { "backend.env": ["COLOR=blue"] }],
    ["backend.image", { "backend.image": "nginx:1.25" }],
    ["backend.port", { "backend.port": "8081" }],
    ["backend.healthPath", { "backend.healthPath": "/ready" }],
  ];
  it.each(newGeneration)("%s: a whole new generation is created and the old one deleted; nothing changes in place", async (_row, change) => {
    const before = await runProgram(BASE);
    const after = await runProgram({ ...BASE, ...change });
    const p = plan(before, after);
    const old = backendNames(before);
    const next = backendNames(after);
    expect(p.deleted.filter((n) => !n.startsWith("app-image"))).toEqual(old);
    expect(p.created.filter((n) => !n.startsWith("app-image"))).toEqual(next);
    // Two containers and their two Upstreams, all of one generation, different from the old one.
    expect(new Set(next.map(generation)).size).toBe(1);
    expect(generation(next[0])).not.toBe(generation(old[0]));
    expect(next.filter((n) => n.endsWith("-upstream"))).toHaveLength(2);
    expect(p.changed.filter((n) => !n.startsWith("app-image"))).toEqual([]);
  }, PROGRAM_RUNS_MS);

  it("backend.image of a custom image: the demo image is no longer built", async () => {
    const p = plan(await runProgram(BASE), await runProgram({ ...BASE, "backend.image": "nginx:1.25" }));
    expect(p.deleted).toContain("app-image-local");
  }, PROGRAM_RUNS_MS);

  it("a rebuilt demo image (other base) is a new generation (its tag, a hash of context and base, is in the spec)", async () => {
    const before = await runProgram(BASE);
    const after = await runProgram({ ...BASE, baseImage: "debian:bookworm-20260101-slim" });
    expect(generation(backendNames(after)[0])).not.toBe(generation(backendNames(before)[0]));
  }, PROGRAM_RUNS_MS);

  it("backend.replicas 2 -> 3 adds one container and its key of the same generation; 3 -> 1 removes two", async () => {
    const two = await runProgram(BASE);
    const three = await runProgram({ ...BASE, "backend.replicas": "3" });
    const up = plan(two, three);
    const gen = generation(backendNames(two)[0]);
    expect(up).toEqual({ created: [`app-${gen}-local-2`, `app-${gen}-local-2-upstream`], deleted: [], changed: [] });
    const down = plan(three, await runProgram({ ...BASE, "backend.replicas": "1" }));
    expect(down).toEqual({ created: [], deleted: [`app-${gen}-local-1`, `app-${gen}-local-1-upstream`, `app-${gen}-local-2`, `app-${gen}-local-2-upstream`], changed: [] });
  }, PROGRAM_RUNS_MS);

  it("Upstream keys never depend on a container output: a replaced container cannot make its key unknown", async () => {
    const run = await runProgram(BASE);
    for (const u of run.byType("pulumi-nodejs:dynamic/switchyard:Upstream")) {
      expect(u.inputs.endpoint).toBe(`switchyard-dev-${u.name.replace(/-upstream$/, "")}`);
    }
  }, PROGRAM_RUNS_MS);

  it("registrator.ttlSeconds changes the registrator only (it adopts the keys of its predecessor)", async () => {
    const p = plan(await runProgram(BASE), await runProgram({ ...BASE, "registrator.ttlSeconds": "20" }));
    expect(p).toEqual({ created: [], deleted: [], changed: ["registrator-local"] });
  }, PROGRAM_RUNS_MS);

  it("gateway.metricsPort changes the gateway container only (replaced in place: the gap README documents)", async () => {
    const p = plan(await runProgram(BASE), await runProgram({ ...BASE, "gateway.metricsPort": "9200" }));
    expect(p).toEqual({ created: [], deleted: [], changed: ["gateway"] });
  }, PROGRAM_RUNS_MS);
});
