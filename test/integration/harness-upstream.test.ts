/**
 * Backend + Upstream through the harness against a real etcd: the serialized Upstream provider runs as
 * Pulumi's dynamic-provider host would run it, each container's key appears, a version switch leaves only
 * the new version's keys (old keys deleted before old containers), destroy leaves none. The gate is off:
 * there are no gateways here (the end-to-end tests run it with them).
 */
import * as docker from "@pulumi/docker";
import Docker from "dockerode";
import { Etcd3 } from "etcd3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Backend } from "../../components/backend";
import { upstreamPrefix } from "../../lib/etcd/keys";
import type { Host } from "../../targets/host";
import { destroy, up } from "../harness";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { withoutGeneration } from "../helpers/names";

const engine = new Docker();
const PREFIX = "sy-test-harness-up";
const ROOT = "/sy-test-harness";
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-harness-up-"));
const stack = { stateFile: path.join(dir, "state.json"), stack: "upstreamtest" };
let cluster: TestCluster;
let etcd: Etcd3;

const program = (version: string) => () => {
  const provider = new docker.Provider("docker", {});
  const network = new docker.Network("net", { name: `${PREFIX}-net` }, { provider });
  const host: Host = {
    name: "local", roles: ["backend"], provider, networkName: network.name,
    dial: (container, port) => ({ host: container, port }),
    registerAddress: "127.0.0.1", publish: () => [], externalAddress: () => "127.0.0.1",
  };
  const b = new Backend("demo", {
    service: "demo", version, replicas: 2, hosts: [host], prefix: PREFIX,
    upstream: { connection: cluster.connection(), root: ROOT, gate: { enabled: false, timeoutMs: 1000 } },
  });
  return { keys: b.containers.map((c) => c.upstream!.key) };
};

async function keys(): Promise<Record<string, string>> {
  return etcd.getAll().prefix(upstreamPrefix(ROOT, "demo")).strings();
}

beforeAll(async () => {
  cluster = await startEtcdCluster({ size: 1 });
  etcd = new Etcd3({ hosts: cluster.connection().endpoints });
});

afterAll(async () => {
  await destroy(stack).catch(() => undefined);
  for (const c of await engine.listContainers({ all: true, filters: { name: [PREFIX] } })) await engine.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  for (const n of await engine.listNetworks({ filters: { name: [PREFIX] } })) await engine.getNetwork(n.Id).remove().catch(() => undefined);
  for (const i of await engine.listImages({ filters: { reference: [`${PREFIX}-backend`] } })) await engine.getImage(i.Id).remove({ force: true }).catch(() => undefined);
  etcd?.close();
  await cluster?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("Backend with Upstreams, through the harness", () => {
  it("writes one key per container, valued with its address and version", async () => {
    const r = await up(program("v1"), stack);
    const k = await keys();
    expect(Object.keys(k).sort()).toEqual((r.outputs.keys as string[]).sort());
    expect(Object.keys(k).map(withoutGeneration).sort()).toEqual([0, 1].map((i) => `${upstreamPrefix(ROOT, "demo")}${PREFIX}-demo-v1-local-${i}`));
    const first = Object.keys(k).sort()[0];
    const container = first.slice(upstreamPrefix(ROOT, "demo").length);
    expect(JSON.parse(k[first])).toMatchObject({ addr: `${container}:8080`, version: "v1", source: "pulumi" });
  });

  it("a switch creates v2 containers and keys, then deletes each v1 key before its container", async () => {
    const r = await up(program("v2"), stack);
    expect(Object.keys(await keys()).map(withoutGeneration).sort()).toEqual([0, 1].map((i) => `${upstreamPrefix(ROOT, "demo")}${PREFIX}-demo-v2-local-${i}`));
    const ops = r.steps.filter((s) => s.op !== "same").map((s) => ({ ...s, name: withoutGeneration(s.name) }));
    const at = (op: string, name: string) => ops.findIndex((s) => s.op === op && s.name === name);
    const lastCreate = Math.max(...ops.map((s, i) => (s.op === "create" ? i : -1)));
    for (const i of [0, 1]) {
      expect(at("create", `demo-v2-local-${i}-upstream`)).toBeGreaterThan(at("create", `demo-v2-local-${i}`));
      expect(at("delete", `demo-v1-local-${i}-upstream`)).toBeGreaterThan(lastCreate);
      expect(at("delete", `demo-v1-local-${i}-upstream`)).toBeLessThan(at("delete", `demo-v1-local-${i}`));
    }
    expect((await engine.listContainers({ all: true, filters: { name: [`${PREFIX}-demo-v1`] } })).length).toBe(0);
  });

  it("destroy removes keys and containers", async () => {
    await destroy(stack);
    expect(await keys()).toEqual({});
    expect(await engine.listContainers({ all: true, filters: { name: [PREFIX] } })).toEqual([]);
  });
});
