/**
 * Several services under mocks: the containers, Upstreams and Routes two services declare, the explicit
 * default route of the single-service shorthand, outputs per service, validation before any resource, and
 * independence — changing one service (its version, its hosts) plans no step for the other.
 */
import { describe, expect, it } from "vitest";
import { plan } from "./helpers/change-plan";
import { runProgram, withoutGeneration, type ProgramRun } from "./helpers/pulumi-program";

const CONTAINER = "docker:index/container:Container";
const UPSTREAM = "pulumi-nodejs:dynamic/switchyard:Upstream";
const ROUTE = "pulumi-nodejs:dynamic/switchyard:Route";
const PROGRAM_RUNS_MS = 120_000;

/** 004's two domains: a.b.com with two servers and cookie stickiness, b.b.com with one (the default). */
const TWO = [
  { name: "a", version: "v1", hosts: ["a.b.com"], replicas: 2, sticky: true },
  { name: "b", version: "v1", hosts: ["b.b.com"], replicas: 1, default: true },
];
const config = (list: unknown[]) => ({ services: JSON.stringify(list) });
const of = (r: ProgramRun, svc: string) => r.resources.filter((x) => x.parent?.endsWith(`switchyard:backend:Backend::${svc}`) || (x.type === "switchyard:backend:Backend" && x.name === svc)).map((x) => x.name).sort();

describe("services under mocks", () => {
  it("the shorthand writes the explicit default route of its one service (#20 relies on it)", async () => {
    const run = await runProgram();
    const [route] = run.byType(ROUTE);
    expect(route.name).toBe("app-route");
    expect(route.inputs).toMatchObject({ service: "app", hosts: [], default: true, sticky: false, adopt: false, root: "/switchyard" });
    expect(route.inputs.gate).toMatchObject({ enabled: true, timeoutMs: 120_000 });
    expect(route.inputs.connection.endpoints).toEqual(["http://127.0.0.1:2379"]);
    // Written after the service's endpoints are: it depends on both Upstreams (and deleted before them).
    for (const u of run.byType(UPSTREAM)) expect(route.dependencies).toContain(u.urn);
    expect(run.outputs.services).toEqual({
      app: { urls: ["http://localhost:8000/"], liveVersion: "v1", upstreams: expect.any(Array), hosts: [], default: true, sticky: false },
    });
  }, PROGRAM_RUNS_MS);

  it("two services: each its containers, Upstreams and a Route with its hosts, default and stickiness", async () => {
    const run = await runProgram(config(TWO));
    expect(run.byType(CONTAINER).filter((c) => /^(a|b)-v/.test(c.name)).map((c) => withoutGeneration(c.inputs.name)).sort()).toEqual([
      "switchyard-dev-a-v1-local-0", "switchyard-dev-a-v1-local-1", "switchyard-dev-b-v1-local-0",
    ]);
    expect(run.byType(UPSTREAM).map((u) => `${u.inputs.service} ${withoutGeneration(u.name)}`).sort()).toEqual([
      "a a-v1-local-0-upstream", "a a-v1-local-1-upstream", "b b-v1-local-0-upstream",
    ]);
    const routes = Object.fromEntries(run.byType(ROUTE).map((r) => [r.name, r.inputs]));
    expect(routes).toEqual({
      "a-route": expect.objectContaining({ service: "a", hosts: ["a.b.com"], default: false, sticky: true }),
      "b-route": expect.objectContaining({ service: "b", hosts: ["b.b.com"], default: true, sticky: false }),
    });
    // The Route is part of its service's tree.
    expect(run.byType(ROUTE).map((r) => r.parent?.split("::").slice(-1)[0]).sort()).toEqual(["a", "b"]);
    const services = run.outputs.services as Record<string, { urls: string[]; liveVersion: string; upstreams: { key: string; addr: string }[] }>;
    expect(services.a.urls).toEqual(["http://a.b.com:8000/"]);
    expect(services.b.urls).toEqual(["http://localhost:8000/", "http://b.b.com:8000/"]);
    expect(services.a.upstreams.map((u) => withoutGeneration(u.key)).sort()).toEqual([
      "/switchyard/services/a/upstream/switchyard-dev-a-v1-local-0", "/switchyard/services/a/upstream/switchyard-dev-a-v1-local-1",
    ]);
    expect(services.b.upstreams).toHaveLength(1);
    expect(services.b.upstreams[0].addr).toMatch(/^switchyard-dev-b-v1-[0-9a-f]{6}-local-0:8080$/);
    expect(run.outputs.liveVersion).toBe("v1");
    expect((run.outputs.upstreams as unknown[]).length).toBe(3);
  }, PROGRAM_RUNS_MS);

  it("switching one service's version plans steps for that service only: the other has no step at all", async () => {
    const before = await runProgram(config(TWO));
    const after = await runProgram(config([{ ...TWO[0], version: "v2" }, TWO[1]]));
    const p = plan(before, after);
    const touched = [...p.created, ...p.deleted, ...p.changed];
    expect(touched.length).toBeGreaterThan(0);
    expect(touched.filter((n) => !n.startsWith("a-"))).toEqual([]);
    expect(p.changed).toEqual([]);
    expect(p.created.map(withoutGeneration)).toEqual(["a-v2-local-0", "a-v2-local-0-upstream", "a-v2-local-1", "a-v2-local-1-upstream"]);
    expect(p.deleted.map(withoutGeneration)).toEqual(["a-v1-local-0", "a-v1-local-0-upstream", "a-v1-local-1", "a-v1-local-1-upstream"]);
    // b's resources are declared with identical inputs in both runs.
    expect(of(after, "b")).toEqual(of(before, "b"));
    expect((after.outputs.services as Record<string, { liveVersion: string }>).a.liveVersion).toBe("v2");
  }, PROGRAM_RUNS_MS);

  it("changing one service's hosts updates its Route only", async () => {
    const before = await runProgram(config(TWO));
    const after = await runProgram(config([{ ...TWO[0], hosts: ["a.b.com", "www.a.b.com"] }, TWO[1]]));
    expect(plan(before, after)).toEqual({ created: [], deleted: [], changed: ["a-route"] });
  }, PROGRAM_RUNS_MS);

  it("adding a service creates its resources only; removing it deletes them only", async () => {
    const one = await runProgram(config([TWO[1]]));
    const two = await runProgram(config(TWO));
    const added = plan(one, two);
    // b was the only service and the default; it stays the default (flagged), so its route is unchanged.
    expect([...added.deleted, ...added.changed]).toEqual([]);
    expect(added.created.every((n) => n.startsWith("a-"))).toBe(true);
    expect(added.created).toContain("a-route");
    const removed = plan(two, one);
    expect([...removed.created, ...removed.changed]).toEqual([]);
    expect(removed.deleted.sort()).toEqual(added.created.sort());
  }, PROGRAM_RUNS_MS);

  it("invalid services fail before any resource is declared, every problem at once", async () => {
    const err = await runProgram(config([{ name: "a", hosts: ["a.b.com"], default: true }, { name: "a", hosts: ["a.b.com"], default: true, replica: 2 }])).then(() => undefined, (e: Error & { resources?: unknown[] }) => e);
    expect(err?.message).toContain("switchyard:services[1].replica is not a field of a service; did you mean replicas?");
    expect(err?.message).toContain("switchyard:services[1].name = 'a' is already the name of services[0]");
    expect(err?.message).toContain("switchyard:services[1].hosts claims 'a.b.com', which services[0] ('a') claims too");
    expect(err?.message).toContain("switchyard:services[0].default and switchyard:services[1].default are all true");
    expect(err?.resources).toEqual([]);
  }, PROGRAM_RUNS_MS);
});
