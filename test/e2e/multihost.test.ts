/**
 * The journey across hosts: the real program (index.ts) on the hosts target, deployed by the harness onto four
 * test hosts on this machine (test/multihost/testhosts: network namespaces `etcd`, `gateway`, `backend-1`,
 * `backend-2`, each with its own dockerd and sshd). Up; the gateway routes to backends on both backend hosts
 * at the hosts' addresses; a blue-green switch under 16 keep-alive clients with zero failures; a container
 * started by hand with `docker run -P` on backend-2 is registered by that host's registrator and routed;
 * faults (a backend host and the etcd host cut off, then reconnected); destroy leaves nothing on any host.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLoad } from "../../bench/load";
import { waitFor } from "../helpers/ports";
import { get } from "./fixture";
import { testHostsUp, type TestHosts } from "../multihost/hosts";
import { multiHostStack, type MultiHostStack } from "../multihost/stack";
import { cutHost, HEALTH_BOUND_MS } from "../multihost/faults";

const UPSTREAMS = "/switchyard/services/app/upstream/";

/** Which backend containers answer over a few bursts. */
async function answering(s: MultiHostStack, n = 24): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await get(s.gatewayUrl).catch(() => undefined);
    if (r?.status === 200) seen.add(r.body.split(" ")[1]);
  }
  return seen;
}

// Needs root (network namespaces, four extra dockerds) and about 10 minutes on 2 cores: opt-in until it is
// green under the shared machine's load (SWITCHYARD_MULTIHOST=1; see README "Deploying on your own machines").
describe.skipIf(!process.env.SWITCHYARD_MULTIHOST)("switchyard on four hosts (hosts target, harness over tcp://)", () => {
  let t: TestHosts;
  let s: MultiHostStack;

  beforeAll(async () => {
    t = testHostsUp();
    s = multiHostStack(t);
  }, 600_000);
  afterAll(async () => {
    await s?.destroy().catch(() => undefined);
    await s?.cleanup();
    t?.down();
  }, 300_000);

  it("up: members on etcd, backend-1, backend-2; the gateway routes to backends on both backend hosts at the hosts' addresses", async () => {
    const { outputs } = await s.up({ "backend.version": "v1" });
    expect(outputs).toMatchObject({ gatewayUrl: s.gatewayUrl, etcdEndpoint: s.etcdEndpoint, liveVersion: "v1" });
    const onHost = async (h: keyof TestHosts["hosts"]) => (await t.hosts[h].docker.listContainers()).map((c) => c.Names[0].slice(1)).sort();
    const p = s.prefix;
    expect(await onHost("etcd")).toEqual([`${p}-etcd-0`]);
    expect(await onHost("gateway")).toEqual([`${p}-etcd-proxy`, `${p}-gateway-nginx`]);
    expect(await onHost("backend-1")).toEqual([`${p}-app-v1-backend-1-0`, `${p}-app-v1-backend-1-1`, `${p}-etcd-1`, `${p}-registrator-backend-1`]);
    expect(await onHost("backend-2")).toEqual([`${p}-app-v1-backend-2-0`, `${p}-app-v1-backend-2-1`, `${p}-etcd-2`, `${p}-registrator-backend-2`]);
    // Upstreams at the backend hosts' addresses, not container names.
    const addrs = (outputs.upstreams as { addr: string }[]).map((u) => u.addr.split(":")[0]).sort();
    expect(addrs).toEqual([t.hosts["backend-1"].address, t.hosts["backend-1"].address, t.hosts["backend-2"].address, t.hosts["backend-2"].address]);
    const seen = await waitFor("all four backends to answer through the gateway", async () => {
      const got = await answering(s, 32);
      return got.size === 4 ? got : undefined;
    }, 60_000, 200);
    expect([...seen].sort()).toEqual([0, 1].flatMap((i) => [`${p}-app-v1-backend-1-${i}`, `${p}-app-v1-backend-2-${i}`]).sort());
  }, 900_000);

  it("the hosts' ssh endpoints reach each host's own dockerd (what ssh:// docker providers use)", async () => {
    // The docker CLI runs plain `ssh`: a shim first on PATH adds the test key (the user's ~/.ssh is not touched).
    const shimDir = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-ssh-"));
    fs.writeFileSync(path.join(shimDir, "ssh"), `#!/bin/sh\nexec /usr/bin/ssh -F /dev/null -i ${t.sshKey} -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR "$@"\n`, { mode: 0o755 });
    try {
      for (const h of Object.values(t.hosts)) {
        const overSsh = execFileSync("docker", ["-H", h.ssh, "ps", "--format", "{{.Names}}"], {
          encoding: "utf8", timeout: 30_000, env: { ...process.env, PATH: `${shimDir}:${process.env.PATH}` },
        }).trim().split("\n").filter(Boolean).sort();
        const overTcp = (await h.docker.listContainers()).map((c) => c.Names[0].slice(1)).sort();
        expect(overSsh, h.name).toEqual(overTcp);
        expect(overSsh.length, h.name).toBeGreaterThan(0);
      }
    } finally {
      fs.rmSync(shimDir, { recursive: true, force: true });
    }
  });

  it("switch under 16 keep-alive clients: 0 failed requests, then only v2 on both backend hosts", async () => {
    const load = startLoad({ url: s.gatewayUrl, connections: 16 });
    await new Promise((r) => setTimeout(r, 1000));
    await s.up({ "backend.version": "v2" });
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(result.failures).toEqual({});
    expect(result.failed).toBe(0);
    expect(result.total).toBeGreaterThan(500);
    expect(result.records.slice(-200).every((r) => r.body?.startsWith("v2 "))).toBe(true);
    expect(result.records.some((r) => r.body?.startsWith("v1 "))).toBe(true);
    const seen = await answering(s, 32);
    expect([...seen].sort()).toEqual([0, 1].flatMap((i) => [`${s.prefix}-app-v2-backend-1-${i}`, `${s.prefix}-app-v2-backend-2-${i}`]).sort());
  }, 600_000);

  it("a container started by hand with `docker run -P` on backend-2 is registered at backend-2's address by its registrator and routed", async () => {
    const d = t.hosts["backend-2"].docker;
    const image = (await d.getContainer(`${s.prefix}-app-v2-backend-2-0`).inspect()).Image;
    const name = `${s.prefix}-by-hand`;
    const c = await d.createContainer({
      name, Image: image,
      Env: ["VERSION=byhand", `CONTAINER_NAME=${name}`, "PORT=8080"],
      Labels: { "switchyard.service": "app" },
      ExposedPorts: { "8080/tcp": {} },
      // As 001's `docker run -P` of an image without a healthcheck: the demo image's own exec healthcheck would
      // hold registration back until healthy, and exec probes time out on a loaded 2-core machine.
      Healthcheck: { Test: ["NONE"] },
      HostConfig: { PublishAllPorts: true },
    });
    await c.start();
    const etcd = s.etcd();
    try {
      const registrator = d.getContainer(`${s.prefix}-registrator-backend-2`);
      const value = await waitFor("the registrator to register it", async () => Object.values(await etcd.getAll().prefix(UPSTREAMS).strings()).find((v) => v.includes(name)), 30_000, 200)
        .catch(async (e: Error) => { throw new Error(`${e.message}\nregistrator log:\n${(await registrator.logs({ stdout: true, stderr: true, tail: 30 })).toString("utf8")}`); });
      const port = (await c.inspect()).NetworkSettings.Ports["8080/tcp"]![0].HostPort;
      expect(JSON.parse(value)).toMatchObject({ source: "registrator", addr: `${t.hosts["backend-2"].address}:${port}` });
      await waitFor("it to receive traffic", async () => ((await answering(s)).has(name) ? true : undefined), 20_000, 200);
    } finally {
      etcd.close();
      await c.remove({ force: true });
    }
    await waitFor("it to leave rotation", async () => ((await answering(s)).has(name) ? undefined : true), 20_000, 200);
  });

  it("backend-1 cut off: its endpoints leave rotation within the health-check bound, no failure after it, etcd writes continue; link up: healed and re-registered", async () => {
    const r = await cutHost(s, t, "backend-1");
    console.log(`[multihost] ${JSON.stringify({ ...r, failures: r.failures })}`);
    expect(r.leftRotationSeconds).not.toBeNull();
    expect(r.leftRotationSeconds!).toBeLessThanOrEqual(HEALTH_BOUND_MS / 1000);
    expect(r.failedAfterBound, JSON.stringify(r.failures)).toBe(0);
    expect(r.writes.ok).toBeGreaterThan(0);
    expect(r.writes.ok).toBe(r.writes.total);
    expect(r.reRegisteredSeconds).not.toBeNull();
  }, 300_000);

  it("the etcd host cut off: no request fails, registry writes continue; link up: its member heals", async () => {
    const r = await cutHost(s, t, "etcd");
    console.log(`[multihost] ${JSON.stringify(r)}`);
    expect(r.failed, JSON.stringify(r.failures)).toBe(0);
    expect(r.writes.ok).toBeGreaterThan(0);
    expect(r.writes.ok).toBe(r.writes.total);
  }, 300_000);

  it("destroy leaves no container, network or volume on any host", async () => {
    await s.destroy();
    expect(await s.leftovers()).toEqual({ etcd: [], gateway: [], "backend-1": [], "backend-2": [] });
  }, 300_000);
});
