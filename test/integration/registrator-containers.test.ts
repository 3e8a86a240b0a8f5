/**
 * The registrator against a real (private) Docker engine and a real 3-member etcd behind its proxy: what
 * gets registered, at which address, and how container lifecycle and health move the keys.
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
import { parseUpstreamValue, upstreamKey, upstreamPrefix } from "../../lib/etcd/keys";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { waitFor } from "../helpers/ports";
import { publishedPort, runBackend, startPrivateDockerd, startRegistrator, type PrivateDockerd, type RegistratorProc } from "./registrator-fixture";

const ROOT = "/switchyard";
const SERVICE = "web";
const HOST_ID = "test-host";
const keyOf = (container: string) => upstreamKey(ROOT, SERVICE, `${HOST_ID}-${container}`);
const label = { "switchyard.service": SERVICE, "switchyard.version": "v1" };

describe("registrator: containers on a real Docker engine", () => {
  let cluster: TestCluster;
  let dockerd: PrivateDockerd;
  let registrator: RegistratorProc;
  let etcd: Etcd3;
  let logDir: string;

  const get = (key: string) => etcd.get(key).string();
  const waitKey = (key: string, what: string, pred: (v: string | null) => boolean, ms = 10_000) =>
    waitFor(what, async () => pred(await get(key)), ms, 25).catch((e: Error) => {
      throw new Error(`${e.message}\nregistrator log:\n${registrator.logs()}`);
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

  it("registers a labelled container at HOST_IP:<published port> with metadata, and ignores an unlabelled one", async () => {
    await runBackend(dockerd, "sy-test-registrator-plain");
    await runBackend(dockerd, "sy-test-registrator-a", { labels: label });
    const port = await publishedPort(dockerd, "sy-test-registrator-a");
    await waitKey(keyOf("sy-test-registrator-a"), "the labelled container's key", (v) => v !== null);
    const value = parseUpstreamValue((await get(keyOf("sy-test-registrator-a")))!);
    expect(value).toMatchObject({
      addr: `127.0.0.1:${port}`,
      meta: { source: "registrator", registrator: HOST_ID, host: "127.0.0.1", container: "sy-test-registrator-a", image: "sy-test-registrator-http:1", version: "v1" },
    });
    // The registered address really serves the container (once its server listens: the container has no
    // healthcheck, so it is registered as soon as it runs).
    const body = await waitFor("the registered address to answer", async () => (await fetch(`http://127.0.0.1:${port}/`)).text(), 10_000, 100);
    expect(body).toMatch(/^I'm [0-9a-f]{12}/);
    // The unlabelled container (started first) left no trace anywhere under the root.
    const all = await etcd.getAll().prefix(`${ROOT}/`).strings();
    expect(Object.keys(all)).toEqual([keyOf("sy-test-registrator-a")]);
    expect(JSON.stringify(all)).not.toContain("sy-test-registrator-plain");
  });

  it("removes the key when the container is stopped, and registers it again when it is started", async () => {
    await dockerd.docker("stop", "-t", "1", "sy-test-registrator-a");
    await waitKey(keyOf("sy-test-registrator-a"), "the stopped container's key to go", (v) => v === null);
    await dockerd.docker("start", "sy-test-registrator-a");
    const port = await publishedPort(dockerd, "sy-test-registrator-a");
    await waitKey(keyOf("sy-test-registrator-a"), "the restarted container's key", (v) => v !== null && v.includes(`"127.0.0.1:${port}"`));
  });

  it("removes the key when the container is killed, and when it is removed", async () => {
    await dockerd.docker("kill", "sy-test-registrator-a");
    await waitKey(keyOf("sy-test-registrator-a"), "the killed container's key to go", (v) => v === null);
    await dockerd.docker("start", "sy-test-registrator-a");
    await waitKey(keyOf("sy-test-registrator-a"), "the key back after start", (v) => v !== null);
    await dockerd.docker("rm", "-f", "sy-test-registrator-a");
    await waitKey(keyOf("sy-test-registrator-a"), "the removed container's key to go", (v) => v === null);
  });

  it("follows `docker restart` to the new published port", async () => {
    await runBackend(dockerd, "sy-test-registrator-b", { labels: label });
    await waitKey(keyOf("sy-test-registrator-b"), "b's key", (v) => v !== null);
    await dockerd.docker("restart", "-t", "1", "sy-test-registrator-b");
    const port = await publishedPort(dockerd, "sy-test-registrator-b");
    await waitKey(keyOf("sy-test-registrator-b"), "b's key with its current port", (v) => v !== null && v.includes(`"127.0.0.1:${port}"`));
  });

  it("registers a container with a healthcheck only once healthy, and removes it when it turns unhealthy", async () => {
    const name = "sy-test-registrator-health";
    await runBackend(dockerd, name, {
      labels: label,
      flags: ["--health-cmd", "test -e /tmp/ready && test ! -e /tmp/sick", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "2s"],
    });
    // Docker has judged it (unhealthy: /tmp/ready does not exist) and the registrator has seen that event.
    await waitFor("docker to report the container unhealthy", async () => (await dockerd.docker("inspect", "-f", "{{.State.Health.Status}}", name)) === "unhealthy", 20_000, 100);
    await waitFor("the registrator to process the health event", async () => /docker_events_total\{action="health_status"\} [1-9]/.test(await (await fetch(registrator.metricsUrl)).text()), 10_000, 50);
    expect(await get(keyOf(name))).toBeNull();

    await dockerd.docker("exec", name, "touch", "/tmp/ready");
    await waitKey(keyOf(name), "the key once healthy", (v) => v !== null, 20_000);
    expect(await dockerd.docker("inspect", "-f", "{{.State.Health.Status}}", name)).toBe("healthy");

    await dockerd.docker("exec", name, "touch", "/tmp/sick");
    await waitKey(keyOf(name), "the key to go once unhealthy", (v) => v === null, 20_000);
    expect(await dockerd.docker("inspect", "-f", "{{.State.Health.Status}}", name)).toBe("unhealthy");
  });

  it("reports health and metrics: registered count and events", async () => {
    const health = await (await fetch(registrator.healthUrl)).json();
    expect(health).toMatchObject({ ok: true, registratorId: HOST_ID, docker: "connected", lease: "alive", registered: 1 });
    const metrics = await (await fetch(registrator.metricsUrl)).text();
    expect(metrics).toMatch(/^switchyard_registrator_registered 1$/m);
    expect(metrics).toMatch(/switchyard_registrator_docker_events_total\{action="die"\} [1-9]/);
    expect(metrics).toMatch(/switchyard_registrator_resyncs_total\{reason="start"\} 1/);
    expect(Object.keys(await etcd.getAll().prefix(upstreamPrefix(ROOT, SERVICE)).strings())).toEqual([keyOf("sy-test-registrator-b")]);
  });
});
