/**
 * The gateway image: built from agents/gateway/image exactly as the Gateway component builds it (Debian base,
 * the agent bundle, etcd3's protos), run with host networking so that it reaches the test's etcd and backends
 * on loopback. One image, both kinds.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareGatewayContext } from "../../components/gateway";
import { connectEtcd } from "../../lib/etcd/client";
import { gatewayStatusKey, upstreamKey } from "../../lib/etcd/keys";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { freePorts, waitFor } from "../helpers/ports";
import { request, TestBackend } from "./gateway-suite";

const run = promisify(execFile);
const IMAGE = "sy-test-gateway-image:test";
const ROOT = "/sy-test-image";
const docker = async (...args: string[]) => (await run("docker", args, { timeout: 600_000, maxBuffer: 16 << 20 })).stdout.trim();

describe("gateway image (nginx and haproxy in one image, agent supervising the proxy)", () => {
  let cluster: TestCluster;
  let etcd: Etcd3;
  const backends: TestBackend[] = [];
  const containers: string[] = [];

  beforeAll(async () => {
    const context = prepareGatewayContext("sy-test-gateway-image");
    await docker("build", "-q", "--build-arg", "BASE_IMAGE=debian:bookworm-slim", "-t", IMAGE, context);
    cluster = await startEtcdCluster({ size: 3 });
    etcd = connectEtcd(cluster.connection());
    const ports = await freePorts(2);
    for (const [i, name] of ["one", "two"].entries()) {
      const b = new TestBackend(name, ports[i]);
      await b.start();
      backends.push(b);
    }
    await etcd.put(upstreamKey(ROOT, "app", "one")).value(backends[0].addr);
    await etcd.put(upstreamKey(ROOT, "app", "two")).value(JSON.stringify({ addr: backends[1].addr, healthPath: "/healthz" }));
  }, 600_000);

  afterAll(async () => {
    for (const c of containers) await docker("rm", "-f", c).catch(() => undefined);
    await docker("rmi", "-f", IMAGE).catch(() => undefined);
    etcd?.close();
    await Promise.all(backends.map((b) => b.kill()));
    await cluster?.stop();
  });

  for (const kind of ["nginx", "haproxy"] as const) {
    it(`runs the ${kind} gateway: routes, serves /healthz, survives an agent crash (proxy keeps serving), leaves the live set on docker stop`, async () => {
      const [listen, stats, metrics] = await freePorts(3);
      const name = `sy-test-gateway-image-${kind}`;
      containers.push(name);
      await docker("rm", "-f", name).catch(() => undefined);
      await docker("run", "-d", "--name", name, "--init", "--network", "host", IMAGE,
        "--kind", kind, "--id", name, "--root", ROOT, "--etcd", cluster.proxyEndpoint,
        "--listen", `127.0.0.1:${listen}`, "--stats", `127.0.0.1:${stats}`, "--metrics", `127.0.0.1:${metrics}`);
      // The agent logs JSON on stderr, which `docker logs` passes through on its own stderr.
      const logs = async () => run("docker", ["logs", "--tail", "40", name]).then((r) => `${r.stdout}${r.stderr}`, (e) => String(e));
      await waitFor(`${kind} gateway serving both backends`, async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add((await request(listen)).body);
        return seen.has("one") && seen.has("two");
      }, 60_000, 200).catch(async (e) => {
        throw new Error(`${(e as Error).message}\n${await logs()}`);
      });
      // /healthz turns ok once the agent has applied a config and published its status, which may be a
      // moment after the proxy first routes.
      let health = await request(metrics, { path: "/healthz" });
      await waitFor(`${kind} agent /healthz ok`, async () => (health = await request(metrics, { path: "/healthz" })).status === 200, 15_000, 100)
        .catch((e: Error) => { throw new Error(`${e.message}: last answer ${health.status} ${health.body}`); });
      expect(JSON.parse(health.body)).toMatchObject({ ok: true, kind, etcd: "up" });
      if (kind === "haproxy") expect((await request(stats)).body).toMatch(/Statistics Report for HAProxy/);
      // The status is published right after the first apply; /healthz may turn ok a moment before it lands.
      await waitFor(`${kind} gateway status key`, async () => !!(await etcd.get(gatewayStatusKey(ROOT, name)).string()), 10_000, 100);

      // The agent dies inside the container: the proxy keeps serving, the entrypoint starts a new agent,
      // which adopts the running proxy.
      await docker("exec", name, "sh", "-c", "for p in /proc/[0-9]*; do if head -c 4 $p/cmdline 2>/dev/null | grep -q '^node'; then kill -9 ${p#/proc/}; fi; done");
      for (let i = 0; i < 10; i++) expect((await request(listen)).status).toBe(200);
      await waitFor("the agent back and adopting the proxy", async () => /adopted the running/.test(await logs()) && (await request(metrics, { path: "/healthz" })).status === 200, 30_000, 200);
      expect((await request(listen)).status).toBe(200);

      await docker("stop", "-t", "15", name);
      // SIGTERM: the agent revoked its lease (the key is gone at once, not after the TTL) and stopped the proxy.
      expect(await etcd.get(gatewayStatusKey(ROOT, name)).string()).toBeNull();
      expect(await docker("inspect", "-f", "{{.State.ExitCode}}", name)).toBe("0");
      await expect(request(listen)).rejects.toThrow(/ECONNREFUSED/);
    });
  }
});
