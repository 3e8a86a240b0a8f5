/**
 * registrator: how fast the registry follows containers, on a real (private) Docker engine and the real
 * 3-member etcd behind its proxy, with the registrator bundle run as a host process (default TTL 15 s).
 *  - register_ms_p50/p99: container started (Docker's State.StartedAt) → its key visible to a watcher.
 *  - deregister_ms_p50/p99: `docker kill` issued → the key's delete seen by the watcher.
 *  - expiry_s: registrator SIGKILLed → the last of its keys gone (lease expiry; target ≤ TTL + 1 s).
 * Containers are started and killed one at a time (the docker-register demo's `docker run` scaling), 30 by
 * default (SY_BENCH_REGISTRATOR_CONTAINERS).
 */
import Docker from "dockerode";
import type { Etcd3 } from "etcd3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectEtcd } from "../../lib/etcd/client";
import { upstreamKey, upstreamPrefix } from "../../lib/etcd/keys";
import { startEtcdCluster } from "../../test/helpers/etcd-cluster";
import { waitFor } from "../../test/helpers/ports";
import { HTTP_IMAGE, NETWORK, startPrivateDockerd, startRegistrator } from "../../test/integration/registrator-fixture";
import type { Scenario, ScenarioContext, ScenarioResult } from "../scenario";
import { percentile, round } from "../stats";

const SERVICE = "bench";
const ROOT = "/switchyard";
const ID = "bench-host";

async function run(ctx: ScenarioContext): Promise<ScenarioResult> {
  const count = Number(process.env.SY_BENCH_REGISTRATOR_CONTAINERS ?? 30);
  const ttl = Number(process.env.SY_BENCH_REGISTRATOR_TTL ?? 15);
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-bench-registrator-"));
  ctx.log(`starting etcd (3 members + proxy) and a private dockerd`);
  const [cluster, dockerd] = await Promise.all([startEtcdCluster({ size: 3 }), startPrivateDockerd()]);
  const docker = new Docker({ socketPath: dockerd.url.slice("unix://".length) });
  let etcd: Etcd3 | undefined;
  let registrator: Awaited<ReturnType<typeof startRegistrator>> | undefined;
  try {
    etcd = connectEtcd(cluster.connection());
    const seenPut = new Map<string, number>();
    const seenDelete = new Map<string, number>();
    const watcher = await etcd.watch().prefix(upstreamPrefix(ROOT, SERVICE)).create();
    watcher.on("put", (kv) => seenPut.set(kv.key.toString(), Date.now()));
    watcher.on("delete", (kv) => seenDelete.set(kv.key.toString(), Date.now()));

    registrator = await startRegistrator({ dockerd, etcd: cluster.connection(), id: ID, ttl, resyncInterval: 30, logDir });
    const names = Array.from({ length: count }, (_, i) => `sy-test-registrator-bench-${i}`);
    const keyOf = (name: string) => upstreamKey(ROOT, SERVICE, `${ID}-${name}`);
    ctx.log(`creating ${count} labelled containers`);
    const containers = await Promise.all(names.map((name) => docker.createContainer({
      name,
      Image: HTTP_IMAGE,
      Labels: { "switchyard.service": SERVICE },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { NetworkMode: NETWORK, PortBindings: { "8080/tcp": [{ HostIp: "127.0.0.1", HostPort: "" }] } },
    })));

    ctx.log("register: starting them one at a time");
    const register: number[] = [];
    for (let i = 0; i < count; i++) {
      seenPut.delete(keyOf(names[i]));
      await containers[i].start();
      await waitFor(`key of ${names[i]}`, async () => seenPut.has(keyOf(names[i])), 10_000, 2);
      const startedAt = Date.parse((await containers[i].inspect()).State.StartedAt);
      register.push(seenPut.get(keyOf(names[i]))! - startedAt);
    }

    ctx.log("deregister: killing them one at a time");
    const deregister: number[] = [];
    for (let i = 0; i < count; i++) {
      seenDelete.delete(keyOf(names[i]));
      const t0 = Date.now();
      await containers[i].kill();
      await waitFor(`delete of ${names[i]}`, async () => seenDelete.has(keyOf(names[i])), 10_000, 2);
      deregister.push(seenDelete.get(keyOf(names[i]))! - t0);
    }

    ctx.log(`expiry: all ${count} running again, then SIGKILL the registrator (TTL ${ttl} s)`);
    for (const c of containers) await c.start();
    await waitFor("all keys registered again", async () => names.every((n) => seenPut.has(keyOf(n)) && (seenDelete.get(keyOf(n)) ?? 0) < seenPut.get(keyOf(n))!), 30_000, 10);
    seenDelete.clear();
    const killedAt = Date.now();
    await registrator.proc.kill("SIGKILL");
    await waitFor("every key expired", async () => names.every((n) => seenDelete.has(keyOf(n))), (ttl + 10) * 1000, 10);
    const expiry = (Math.max(...names.map((n) => seenDelete.get(keyOf(n))!)) - killedAt) / 1000;
    await watcher.cancel();

    return {
      metrics: {
        containers: count,
        ttl_s: ttl,
        register_ms_p50: round(percentile(register, 50)),
        register_ms_p99: round(percentile(register, 99)),
        deregister_ms_p50: round(percentile(deregister, 50)),
        deregister_ms_p99: round(percentile(deregister, 99)),
        expiry_s: round(expiry, 2),
      },
      series: { register_ms: register, deregister_ms: deregister },
    };
  } finally {
    await registrator?.proc.kill("SIGKILL");
    etcd?.close();
    await dockerd.stop();
    await cluster.stop();
    fs.rmSync(logDir, { recursive: true, force: true });
  }
}

export const scenarios: Scenario[] = [
  {
    name: "registrator",
    description: "registrator latency: container start → key, kill → key gone (p50/p99 over 30), and lease expiry after the registrator is SIGKILLed",
    run,
  },
];
