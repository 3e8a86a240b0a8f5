/**
 * The Docker daemon restarted under a running registrator (a private dockerd, so nobody else's containers are
 * touched): the registrator reconnects to the event stream with backoff, resyncs, and the registry again
 * matches the running labelled containers exactly — after a clean restart and after a daemon crash.
 *
 * The tests run in the order written against one registrator and one private Docker engine: each starts from
 * the containers and keys the previous one left. Run the whole file; a filtered run (-t) of a later test alone
 * is not meaningful.
 */
import type { Etcd3 } from "etcd3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectEtcd } from "../../lib/etcd/client";
import { parseUpstreamValue, upstreamPrefix } from "../../lib/etcd/keys";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { waitFor } from "../helpers/ports";
import { publishedPort, runBackend, startPrivateDockerd, startRegistrator, type PrivateDockerd, type RegistratorProc } from "./registrator-fixture";

const ROOT = "/switchyard";
const SERVICE = "web";
const HOST_ID = "test-host";
const PREFIX = upstreamPrefix(ROOT, SERVICE);
const labels = { "switchyard.service": SERVICE };

describe("registrator: dockerd restarted under it", () => {
  let cluster: TestCluster;
  let dockerd: PrivateDockerd;
  let registrator: RegistratorProc;
  let etcd: Etcd3;
  let logDir: string;

  /** What etcd says: container name → registered address. */
  const registry = async () => {
    const out: Record<string, string> = {};
    for (const v of Object.values(await etcd.getAll().prefix(PREFIX).strings())) {
      const p = parseUpstreamValue(v);
      if (!("problem" in p)) out[String(p.meta.container)] = p.addr;
    }
    return out;
  };
  /** What Docker says: running labelled container name → 127.0.0.1:<published port>. */
  const reality = async () => {
    const out: Record<string, string> = {};
    const names = (await dockerd.docker("ps", "--filter", "label=switchyard.service", "--format", "{{.Names}}")).split("\n").filter(Boolean);
    for (const n of names) out[n] = `127.0.0.1:${await publishedPort(dockerd, n)}`;
    return out;
  };
  const converged = (what: string) =>
    waitFor(what, async () => {
      const [r, d] = await Promise.all([registry(), reality()]);
      return JSON.stringify(Object.entries(r).sort()) === JSON.stringify(Object.entries(d).sort()) ? r : undefined;
    }, 30_000, 100).catch(async (e: Error) => {
      throw new Error(`${e.message}\nregistry: ${JSON.stringify(await registry())}\nreality: ${JSON.stringify(await reality().catch(() => "?"))}\n${registrator.logs()}`);
    });

  beforeAll(async () => {
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-registrator-"));
    [cluster, dockerd] = await Promise.all([startEtcdCluster({ size: 3 }), startPrivateDockerd()]);
    etcd = connectEtcd(cluster.connection());
    registrator = await startRegistrator({ dockerd, etcd: cluster.connection(), id: HOST_ID, ttl: 3, logDir });
  });
  afterAll(async () => {
    await registrator?.proc.kill("SIGKILL");
    etcd?.close();
    await dockerd?.stop();
    await cluster?.stop();
    if (logDir) fs.rmSync(logDir, { recursive: true, force: true });
  });

  it("started while dockerd is down: stays up, reports unhealthy, and registers once the daemon is back", async () => {
    await registrator.proc.kill("SIGKILL");
    await dockerd.down();
    registrator = await startRegistrator({ dockerd, etcd: cluster.connection(), id: HOST_ID, ttl: 3, logDir, waitHealthy: false });
    await waitFor("the registrator to answer /healthz with 503", async () => (await fetch(registrator.healthUrl)).status === 503, 15_000, 100);
    expect(registrator.proc.child.exitCode).toBeNull();
    await dockerd.up();
    await waitFor("healthy once the daemon is up", async () => (await fetch(registrator.healthUrl)).status === 200, 30_000, 100);
    await runBackend(dockerd, "sy-test-registrator-late", { labels });
    await converged("the container started after the daemon came up registered");
    expect((await registry())["sy-test-registrator-late"]).toBeDefined();
    await dockerd.docker("rm", "-f", "sy-test-registrator-late");
    await converged("removed");
  });

  for (const signal of ["SIGTERM", "SIGKILL"] as const) {
    it(`recovers after dockerd is restarted (${signal}) and the registry matches reality`, async () => {
      const always = `sy-test-registrator-always-${signal.toLowerCase()}`;
      const once = `sy-test-registrator-once-${signal.toLowerCase()}`;
      const after = `sy-test-registrator-after-${signal.toLowerCase()}`;
      await runBackend(dockerd, always, { labels, flags: ["--restart", "always"] });
      await runBackend(dockerd, once, { labels });
      const before = await converged("both containers registered");
      expect(Object.keys(before)).toEqual(expect.arrayContaining([always, once]));

      await dockerd.restart(signal);
      // The restart policy brings one back (on a new published port); the other stays down.
      await waitFor(`${always} running again`, async () => (await dockerd.docker("inspect", "-f", "{{.State.Running}}", always)) === "true", 30_000, 100);
      const now = await converged("the registry to match the containers after the daemon restart");
      expect(now[always]).toBeDefined();
      expect(now[once]).toBeUndefined();

      // The event stream itself is back, not only a resync: a new container registers promptly.
      await runBackend(dockerd, after, { labels });
      await converged("a container started after the restart registered");
      expect((await registry())[after]).toBeDefined();
      const health = await waitFor("healthy again", async () => {
        const r = await fetch(registrator.healthUrl);
        return r.status === 200 ? r.json() : undefined;
      }, 15_000, 100);
      expect(health).toMatchObject({ ok: true, docker: "connected" });
      expect(registrator.logs()).toMatch(/Docker event stream (broke|unavailable)/);
      await dockerd.docker("rm", "-f", always, once, after);
      await converged("all removed");
    });
  }
});
