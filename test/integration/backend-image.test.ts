/**
 * The demo backend for real: the Backend component deployed through the harness (image built from
 * agents/backend/image, containers on a test network), then asked over HTTP. Covers the answer (version and
 * container name), /healthz and the Docker healthcheck, FAIL_HEALTH, and a graceful SIGTERM — both from
 * `docker stop` and from the harness removing an old version during a switch.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import Docker from "dockerode";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backend } from "../../components/backend";
import type { Host } from "../../targets/host";
import { destroy, up } from "../harness";
import { waitFor } from "../helpers/ports";
import { nsName } from "../e2e/fixture";

const engine = new Docker();
// Suffixed by SWITCHYARD_TEST_NS: two runs on one engine must not share the network or container names.
const PREFIX = nsName("sy-test-backend");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-backend-"));
const stack = { stateFile: path.join(dir, "state.json"), stack: "backendtest" };

/** The demo service as v<version> (2 replicas) plus one replica told to fail its health endpoint. */
const program = (version: string) => () => {
  const provider = new docker.Provider("docker", {});
  const network = new docker.Network("net", { name: `${PREFIX}-net` }, { provider });
  const host: Host = {
    name: "local",
    roles: ["backend"],
    provider,
    networkName: network.name,
    dial: (container, port) => ({ host: container, port }),
    registerAddress: "127.0.0.1",
    publish: () => [],
    externalAddress: () => "127.0.0.1",
  };
  const good = new Backend("demo", { service: "demo", version, replicas: 2, hosts: [host], prefix: PREFIX, stopGraceSeconds: 10 });
  const bad = new Backend("bad", { service: "bad", version: "v9", replicas: 1, hosts: [host], prefix: PREFIX, envs: ["FAIL_HEALTH=1"] });
  const ip = (b: Backend, i: number) => b.containers[i].container.networkDatas.apply((n) => n[0].ipAddress);
  return {
    good: pulumi.all(good.containers.map((c, i) => pulumi.all([c.name, ip(good, i), c.address]))),
    bad: pulumi.all([bad.containers[0].name, ip(bad, 0)]),
  };
};

interface Answer { status: number; body: string; headers: http.IncomingHttpHeaders }
function get(ip: string, p: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    http.get({ host: ip, port: 8080, path: p, agent: false, timeout: 15_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    }).on("error", reject);
  });
}
/** Resolves when the engine reports the start of a container whose name begins with `namePrefix`. */
async function firstStart(namePrefix: string): Promise<void> {
  const events = (await engine.getEvents({ filters: { type: ["container"], event: ["start"] } })) as NodeJS.ReadableStream & { destroy(): void };
  await new Promise<void>((resolve) => {
    let buffered = "";
    events.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      if (lines.some((l) => l.trim() && String(JSON.parse(l).Actor?.Attributes?.name ?? "").startsWith(namePrefix))) resolve();
    });
  });
  events.destroy();
}
const health = async (name: string) => (await engine.getContainer(name).inspect()).State.Health?.Status;

/** What a failed run of this file left behind (its own prefix only). */
async function removeLeftovers(): Promise<void> {
  // Docker's name filter matches substrings: keep to names that are exactly this run's (not another NS's).
  const ours = (name: string) => new RegExp(`^/?${PREFIX}-(?!ns\\d)`).test(name);
  for (const c of await engine.listContainers({ all: true, filters: { name: [PREFIX] } })) if (c.Names.some(ours)) await engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const n of await engine.listNetworks({ filters: { name: [PREFIX] } })) if (ours(n.Name)) await engine.getNetwork(n.Id).remove().catch(() => undefined);
  // docker.Image leaves its tag on destroy (as the provider does); the test removes what it built.
  for (const i of await engine.listImages({ filters: { reference: [`${PREFIX}-backend`] } })) await engine.getImage(i.Id).remove({ force: true }).catch(() => undefined);
}

beforeAll(removeLeftovers);
afterAll(async () => {
  await destroy(stack).catch(() => undefined);
  await removeLeftovers();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the demo backend image", () => {
  let good: [string, string, string][];
  let bad: [string, string];

  it("is built and runs: each replica answers its version and container name", async () => {
    const r = await up(program("v1"), stack);
    good = r.outputs.good as [string, string, string][];
    bad = r.outputs.bad as [string, string];
    expect(good.map(([name]) => name)).toEqual([`${PREFIX}-demo-v1-local-0`, `${PREFIX}-demo-v1-local-1`]);
    expect(good[0][2]).toBe(`${PREFIX}-demo-v1-local-0:8080`); // the address the gateways dial on docker
    for (const [name, ip] of good) {
      const a = await waitFor(`${name} answering`, () => get(ip, "/"), 30_000, 200);
      expect(a).toMatchObject({ status: 200, body: `v1 ${name}\n` });
      expect(a.headers["x-backend-version"]).toBe("v1");
    }
  });

  it("/healthz is ok and the exec healthcheck marks the container healthy", async () => {
    const [name, ip] = good[0];
    expect(await get(ip, "/healthz")).toMatchObject({ status: 200, body: "ok\n" });
    await waitFor(`${name} healthy`, async () => (await health(name)) === "healthy", 60_000, 500);
  });

  it("FAIL_HEALTH makes /healthz fail and the container unhealthy, while / still answers", async () => {
    const [name, ip] = bad;
    await waitFor(`${name} answering`, () => get(ip, "/"), 30_000, 200);
    expect((await get(ip, "/healthz")).status).toBe(503);
    expect((await get(ip, "/")).body).toBe(`v9 ${name}\n`);
    await waitFor(`${name} unhealthy`, async () => (await health(name)) === "unhealthy", 60_000, 500);
  });

  it("SIGTERM (docker stop) lets an in-flight request finish, then exits 0 well before the kill timeout", async () => {
    const [name, ip] = good[1];
    const inFlight = get(ip, "/?delay=1500");
    await new Promise((r) => setTimeout(r, 300)); // the request must be in flight before the signal
    const started = Date.now();
    await engine.getContainer(name).stop({ t: 10 });
    const stopSeconds = (Date.now() - started) / 1000;
    expect(await inFlight).toMatchObject({ status: 200, body: `v1 ${name}\n` });
    const state = (await engine.getContainer(name).inspect()).State;
    expect(state.ExitCode).toBe(0);
    expect(stopSeconds).toBeLessThan(8);
    await engine.getContainer(name).start(); // back as it was for the next test
  });

  it("a switch removes the old version gracefully: a request in flight to v1 completes", async () => {
    const [name, ip] = good[0];
    await waitFor(`${name} answering`, () => get(ip, "/"), 30_000, 200);
    // Started once the first v2 container has started, held 6 s (below the 10 s stop grace): it must still be
    // in flight when the harness begins deleting v1, and the delete must wait for it.
    let answeredAt = 0;
    const inFlight = firstStart(`${PREFIX}-demo-v2-`).then(() => get(ip, "/?delay=6000")).then((a) => {
      answeredAt = Date.now();
      return a;
    });
    const r = await up(program("v2"), stack);
    expect(await inFlight).toMatchObject({ status: 200, body: `v1 ${name}\n` });
    // The resource of container `name` is its name without the prefix.
    const deleteOld = r.steps.find((s) => s.op === "delete" && s.name === name.slice(PREFIX.length + 1));
    if (!deleteOld) throw new Error(`no delete step for ${name}: ${r.steps.map((s) => `${s.op} ${s.name}`).join(", ")}`);
    expect(answeredAt, "the request ended before the v1 delete started: it proves nothing about the drain").toBeGreaterThanOrEqual(deleteOld.started);
    expect(deleteOld.finished).toBeGreaterThanOrEqual(answeredAt);
    const steps = r.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`);
    // New containers first, then the old ones (independent of each other, so in either order).
    expect(steps.slice(0, 2).sort()).toEqual(["create demo-v2-local-0", "create demo-v2-local-1"]);
    expect(steps.slice(2).sort()).toEqual(["delete demo-v1-local-0", "delete demo-v1-local-1"]);
    const [newName, newIp] = (r.outputs.good as [string, string, string][])[0];
    expect((await waitFor(`${newName} answering`, () => get(newIp, "/"), 30_000, 200)).body).toBe(`v2 ${newName}\n`);
  });
});
