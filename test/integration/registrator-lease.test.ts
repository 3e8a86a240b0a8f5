/**
 * The registrator's lease and ownership against a real 3-member etcd (behind its proxy) and a private Docker
 * engine: keys live and die with the registrator's lease, keep-alives do not rewrite them, a restarted
 * registrator takes its keys back, a deleted key is restored, foreign keys are never touched, and an etcd
 * outage longer than the TTL is repaired with a new lease.
 *
 * The tests run in the order written against one registrator, one etcd and one private Docker engine: each
 * starts from the registrator, containers and keys the previous one left. Run the whole file. How fast keys
 * expire or register is measured by the registrator benchmark (`npm run bench -- registrator`), not here; the
 * waits below are deadlines or the condition under test (an outage shorter / longer than the TTL).
 */
import type { Etcd3 } from "etcd3";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectEtcd } from "../../lib/etcd/client";
import { upstreamKey, upstreamPrefix } from "../../lib/etcd/keys";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { waitFor } from "../helpers/ports";
import { runBackend, startPrivateDockerd, startRegistrator, type PrivateDockerd, type RegistratorProc } from "./registrator-fixture";

const ROOT = "/switchyard";
const SERVICE = "web";
const HOST_ID = "test-host";
const TTL = 3;
const NAMES = ["sy-test-registrator-l1", "sy-test-registrator-l2", "sy-test-registrator-l3"];
const keyOf = (container: string) => upstreamKey(ROOT, SERVICE, `${HOST_ID}-${container}`);
const PREFIX = upstreamPrefix(ROOT, SERVICE);

describe("registrator: lease, resync and ownership", () => {
  let cluster: TestCluster;
  let dockerd: PrivateDockerd;
  let registrator: RegistratorProc;
  let etcd: Etcd3;
  /** A client on a member directly: it keeps working while the proxy is down. */
  let member: Etcd3;
  let logDir: string;

  const owned = async (client = etcd) => Object.keys(await client.getAll().prefix(PREFIX).strings()).filter((k) => k.includes(`/${HOST_ID}-`)).sort();
  const allRegistered = (client = etcd) => waitFor("all three keys registered", async () => (await owned(client)).length === 3, 20_000, 25).catch((e: Error) => {
    throw new Error(`${e.message}\nregistrator log:\n${registrator.logs()}`);
  });
  /** All errors the registrator counted so far, whatever their kind. */
  const errorsTotal = async () => (await (await fetch(registrator.metricsUrl)).text()).split("\n")
    .filter((l) => l.startsWith("switchyard_registrator_errors_total{"))
    .reduce((sum, l) => sum + Number(l.split(" ").pop()), 0);
  const start = () => startRegistrator({ dockerd, etcd: cluster.connection(), id: HOST_ID, ttl: TTL, logDir });

  beforeAll(async () => {
    logDir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-registrator-"));
    [cluster, dockerd] = await Promise.all([startEtcdCluster({ size: 3 }), startPrivateDockerd()]);
    etcd = connectEtcd(cluster.connection());
    member = connectEtcd({ endpoints: [cluster.memberEndpoints[0]], callTimeoutMs: 3000 });
    for (const name of NAMES) await runBackend(dockerd, name, { labels: { "switchyard.service": SERVICE } });
    registrator = await start();
    await allRegistered();
  });
  afterAll(async () => {
    await registrator?.proc.kill("SIGKILL");
    etcd?.close();
    member?.close();
    await dockerd?.stop();
    await cluster?.stop();
    if (logDir) fs.rmSync(logDir, { recursive: true, force: true });
  });

  it("attaches every key to one lease with the configured TTL", async () => {
    const res = await etcd.getAll().prefix(PREFIX).exec();
    const leases = new Set(res.kvs.map((kv) => String(kv.lease)));
    expect(leases.size).toBe(1);
    const [lease] = [...leases];
    expect(lease).not.toBe("0");
    const info = await etcd.leaseClient.leaseTimeToLive({ ID: lease });
    expect(Number(info.grantedTTL)).toBe(TTL);
  });

  it("keep-alives do not rewrite keys: no watch event over three TTLs", async () => {
    const events: string[] = [];
    const watcher = await etcd.watch().prefix(PREFIX).create();
    watcher.on("data", (res) => events.push(...res.events.map((e) => `${e.type} ${e.kv.key.toString()}`)));
    const before = (await etcd.getAll().prefix(PREFIX).exec()).kvs.map((kv) => String(kv.mod_revision));
    // The passing of three TTLs is the condition under test (no speed is measured): without keep-alives the
    // keys would expire in it (DELETE events); with keep-alives that rewrite keys there would be PUT events.
    await new Promise((r) => setTimeout(r, 3 * TTL * 1000));
    await watcher.cancel();
    const after = (await etcd.getAll().prefix(PREFIX).exec()).kvs.map((kv) => String(kv.mod_revision));
    expect(events).toEqual([]);
    expect(after).toEqual(before);
  });

  it("restores a key deleted by hand (watch-triggered resync, no periodic resync configured)", async () => {
    const key = keyOf(NAMES[0]);
    const value = await etcd.get(key).string();
    await etcd.delete().key(key);
    await waitFor("the deleted key to be restored", async () => (await etcd.get(key).string()) === value, 5000, 25);
  });

  it("never touches foreign keys in the same prefix, even one at the path it wants", async () => {
    const byHand = `${PREFIX}py2`;
    await etcd.put(byHand).value("10.0.0.5:49161");
    const otherRegistrator = `${PREFIX}other-host-x`;
    const otherValue = JSON.stringify({ addr: "10.0.0.6:40000", source: "registrator", registrator: "other-host", container: "x" });
    await etcd.put(otherRegistrator).value(otherValue);
    // A container whose endpoint label names an existing hand-written key: a conflict, left alone.
    const claimed = `${PREFIX}claimed`;
    await etcd.put(claimed).value("10.0.0.7:1234");
    await runBackend(dockerd, "sy-test-registrator-claimer", { labels: { "switchyard.service": SERVICE, "switchyard.endpoint": "claimed" } });
    await waitFor("the conflict to be reported", async () => /switchyard_registrator_conflicts 1/.test(await (await fetch(registrator.metricsUrl)).text()), 10_000, 50);
    // A resync deletes the registrator's stale keys; the foreign ones must survive it.
    await dockerd.docker("rm", "-f", NAMES[2]);
    await waitFor("the removed container's key to go", async () => (await etcd.get(keyOf(NAMES[2])).string()) === null, 5000, 25);
    expect(await etcd.get(byHand).string()).toBe("10.0.0.5:49161");
    expect(await etcd.get(otherRegistrator).string()).toBe(otherValue);
    expect(await etcd.get(claimed).string()).toBe("10.0.0.7:1234");
    await dockerd.docker("rm", "-f", "sy-test-registrator-claimer");
    await etcd.delete().key(claimed);
    await runBackend(dockerd, NAMES[2], { labels: { "switchyard.service": SERVICE } });
    await allRegistered();
  });

  it("SIGKILLed: its keys go with its lease (etcd expires it); restarted: everything is registered again", async () => {
    const lease = String((await etcd.getAll().prefix(PREFIX).exec()).kvs.find((kv) => kv.key.toString() === keyOf(NAMES[0]))!.lease);
    expect(Number((await etcd.leaseClient.leaseTimeToLive({ ID: lease })).TTL)).toBeGreaterThan(0);
    await registrator.proc.kill("SIGKILL");
    await waitFor("the dead registrator's keys to expire", async () => (await owned()).length === 0, (TTL + 3) * 1000, 25);
    // Gone because the lease expired (nobody is left to delete them): etcd no longer knows the lease.
    expect(Number((await etcd.leaseClient.leaseTimeToLive({ ID: lease })).TTL)).toBe(-1);
    // Foreign keys have no lease of the registrator's: still there.
    expect(await etcd.get(`${PREFIX}py2`).string()).toBe("10.0.0.5:49161");

    registrator = await start();
    await allRegistered();
  });

  it("restarted while its old lease is still alive: adopts its keys and drops the dead container's at once", async () => {
    await registrator.proc.kill("SIGKILL");
    await dockerd.docker("rm", "-f", NAMES[1]);
    const oldLease = String((await etcd.getAll().prefix(PREFIX).exec()).kvs.find((kv) => kv.key.toString() === keyOf(NAMES[0]))!.lease);
    registrator = await start();
    // The key of the container removed while no registrator ran goes now, not when the old lease expires.
    await waitFor("the adopted keys on the new lease and the stale one gone", async () => {
      const kvs = (await etcd.getAll().prefix(PREFIX).exec()).kvs.filter((kv) => kv.key.toString().includes(`/${HOST_ID}-`));
      return kvs.length === 2 && kvs.every((kv) => String(kv.lease) !== oldLease);
    }, 2000, 25);
    expect(await etcd.get(keyOf(NAMES[1])).string()).toBeNull();
    await runBackend(dockerd, NAMES[1], { labels: { "switchyard.service": SERVICE } });
    await allRegistered();
  });

  it("etcd unreachable for longer than the TTL: keys expire, then come back on a new lease", async () => {
    const leaseBefore = String((await etcd.getAll().prefix(PREFIX).exec()).kvs[0].lease);
    await cluster.killProxy();
    await waitFor("the keys to expire while the registrator cannot reach etcd", async () => (await owned(member)).length === 0, (TTL + 3) * 1000, 50);
    await waitFor("the registrator to report itself unhealthy", async () => (await fetch(registrator.healthUrl)).status === 503, 15_000, 100);
    await cluster.restartProxy();
    await allRegistered(member);
    const leases = new Set((await member.getAll().prefix(PREFIX).exec()).kvs.filter((kv) => kv.key.toString().includes(`/${HOST_ID}-`)).map((kv) => String(kv.lease)));
    expect(leases.size).toBe(1);
    expect(leases.has(leaseBefore)).toBe(false);
    await waitFor("the registrator healthy again", async () => (await fetch(registrator.healthUrl)).status === 200, 15_000, 100);
    expect(await (await fetch(registrator.metricsUrl)).text()).toMatch(/switchyard_registrator_leases_granted_total 2/);
  });

  it("started while etcd is unreachable: stays up, reports unhealthy, registers once etcd is back", async () => {
    await registrator.proc.kill("SIGKILL");
    await waitFor("the keys to expire", async () => (await owned()).length === 0, (TTL + 3) * 1000, 50);
    await cluster.killProxy();
    registrator = await startRegistrator({ dockerd, etcd: cluster.connection(), id: HOST_ID, ttl: TTL, logDir, waitHealthy: false });
    await waitFor("the registrator to answer /healthz with 503", async () => (await fetch(registrator.healthUrl)).status === 503, 15_000, 100);
    // It must keep retrying, not exit, while etcd stays away: two more failed attempts counted, still running.
    const failedBefore = await errorsTotal();
    await waitFor("two more failed attempts to reach etcd", async () => (await errorsTotal()) >= failedBefore + 2, 30_000, 100);
    expect(registrator.proc.child.exitCode).toBeNull();
    expect((await fetch(registrator.healthUrl)).status).toBe(503);
    await cluster.restartProxy();
    await allRegistered();
    await waitFor("healthy", async () => (await fetch(registrator.healthUrl)).status === 200, 15_000, 100);
  });

  it("etcd unreachable for less than the TTL: the lease survives and no key is rewritten", async () => {
    const before = (await etcd.getAll().prefix(PREFIX).exec()).kvs.map((kv) => `${kv.key}@${kv.mod_revision}/${kv.lease}`).sort();
    const lease = before.find((e) => e.startsWith(`${keyOf(NAMES[0])}@`))!.split("/").pop()!;
    await cluster.killProxy();
    await new Promise((r) => setTimeout(r, 1000)); // an outage shorter than the TTL is the condition under test
    // ...and it was shorter as etcd sees it: the lease is still alive when the proxy comes back.
    expect(Number((await member.leaseClient.leaseTimeToLive({ ID: lease })).TTL)).toBeGreaterThan(0);
    await cluster.restartProxy();
    await waitFor("a keep-alive through the restarted proxy", async () => (await fetch(registrator.healthUrl)).status === 200, 10_000, 100);
    const after = (await etcd.getAll().prefix(PREFIX).exec()).kvs.map((kv) => `${kv.key}@${kv.mod_revision}/${kv.lease}`).sort();
    expect(after).toEqual(before);
  });
});
