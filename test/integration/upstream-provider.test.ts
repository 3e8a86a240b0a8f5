/**
 * The Upstream provider, as Pulumi runs it: the `__provider` text captured under mocks, loaded the way the
 * dynamic-provider host loads it, driven through check/create/read/update/delete against a real 3-member etcd
 * behind the real proxy. Gate disabled here (see upstream-gate.test.ts for the gate).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Etcd3 } from "etcd3";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectEtcd, type EtcdConnection } from "../../lib/etcd/client";
import { loadSerializedProvider } from "../../provider/upstream/host";
import { captureProviderText } from "../../provider/upstream/testing";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { waitFor } from "../helpers/ports";

let cluster: TestCluster;
let admin: Etcd3;
let provider: pulumi.dynamic.ResourceProvider;
let providerText: string;
let n = 0;

beforeAll(async () => {
  const [c, text] = await Promise.all([startEtcdCluster({ size: 3 }), captureProviderText()]);
  cluster = c;
  providerText = text;
  provider = loadSerializedProvider(text);
  admin = connectEtcd(cluster.connection());
});

afterAll(async () => {
  admin?.close();
  await cluster?.stop();
});

/** Fresh root per test, so tests never see each other's keys. */
function root() {
  return `/sy-test-upstream-${process.pid}-${++n}`;
}

/** A hand edit, as an operator makes it: etcdctl (v3 API) through the proxy. */
function etcdctl(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile("etcdctl", [`--endpoints=${cluster.proxyEndpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: "3" }, timeout: 20_000 }, (err, stdout, stderr) =>
      err ? reject(new Error(`etcdctl ${args.join(" ")}: ${err.message} ${stderr}`)) : resolve(stdout.trim()),
    ),
  );
}

async function leaderIndex(): Promise<number> {
  for (let i = 0; i < cluster.memberEndpoints.length; i++) {
    const c = connectEtcd({ endpoints: [cluster.memberEndpoints[i]], callTimeoutMs: 2000 });
    try {
      const st = await c.maintenance.status();
      if (st.leader === st.header.member_id) return i;
    } catch {
      /* next */
    } finally {
      c.close();
    }
  }
  throw new Error("no member reports itself as leader");
}

async function checked(news: Record<string, unknown>, connection: EtcdConnection = cluster.connection()) {
  const res = await provider.check!({}, { connection, gate: { enabled: false }, ...news });
  expect(res.failures ?? []).toEqual([]);
  return res.inputs;
}

describe("Upstream provider against a real etcd (serialized text)", () => {
  it("runs in a plain Node process like Pulumi's host: no TypeScript loader, working directory elsewhere", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-upstream-host-"));
    try {
      fs.writeFileSync(path.join(dir, "provider.js.txt"), providerText);
      const rfs = require.resolve("require-from-string", { paths: [path.dirname(require.resolve("@pulumi/pulumi/package.json"))] });
      const script = `
        const fs = require("fs");
        const requireFromString = require(${JSON.stringify(rfs)});
        const provider = requireFromString(fs.readFileSync("provider.js.txt", "utf8")).handler();
        (async () => {
          const c = await provider.check({}, JSON.parse(process.argv[1]));
          if (c.failures.length) throw new Error(JSON.stringify(c.failures));
          const created = await provider.create(c.inputs);
          const read = await provider.read(created.id, created.outs);
          await provider.delete(created.id, created.outs);
          const after = await provider.read(created.id, created.outs);
          console.log(JSON.stringify({ id: created.id, value: read.props.value, afterId: after.id }));
        })().catch((e) => { console.error(e); process.exit(1); });`;
      const r = root();
      const news = { root: r, service: "app", endpoint: "host", value: "127.0.0.1:8123", connection: cluster.connection(), gate: { enabled: false } };
      const out = await new Promise<string>((resolve, reject) =>
        execFile(process.execPath, ["-e", script, JSON.stringify(news)], { cwd: dir, timeout: 60_000 }, (err, stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout),
        ),
      );
      expect(JSON.parse(out.trim().split("\n").pop()!)).toEqual({ id: `${r}/services/app/upstream/host`, value: "127.0.0.1:8123", afterId: "" });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("create, read, update, read, delete round trip; deleting a missing key succeeds", async () => {
    const r = root();
    const ins = await checked({ root: r, service: "app", endpoint: "v1-0", value: "127.0.0.1:8081" });
    const key = `${r}/services/app/upstream/v1-0`;

    const created = await provider.create(ins);
    expect(created.id).toBe(key);
    const kv = (await admin.get(key).exec()).kvs[0];
    expect(kv.value.toString()).toBe("127.0.0.1:8081");
    expect(created.outs.revision).toBe(Number(kv.mod_revision));
    expect(created.outs.addr).toBe("127.0.0.1:8081");

    const read1 = await provider.read!(created.id, created.outs);
    expect(read1.id).toBe(key);
    expect(read1.props!.value).toBe("127.0.0.1:8081");

    const json = JSON.stringify({ addr: "127.0.0.1:8082", version: "v1", source: "pulumi" });
    const news = await checked({ root: r, service: "app", endpoint: "v1-0", value: json });
    const diff = await provider.diff!(key, created.outs, news);
    expect(diff).toMatchObject({ changes: true, replaces: [] });
    const updated = await provider.update!(key, created.outs, news);
    expect(await admin.get(key).string()).toBe(json);
    expect(updated.outs.addr).toBe("127.0.0.1:8082");
    expect(updated.outs.revision).toBeGreaterThan(created.outs.revision);

    const read2 = await provider.read!(key, updated.outs);
    expect(read2.props!.value).toBe(json);

    await provider.delete!(key, updated.outs);
    expect(await admin.get(key).string()).toBeNull();
    await expect(provider.delete!(key, updated.outs)).resolves.toBeUndefined();
  });

  it("diff: another endpoint name replaces, equal inputs change nothing", async () => {
    const ins = await checked({ root: "/x", service: "app", endpoint: "a", value: "127.0.0.1:1" });
    const outs = { ...ins, addr: "127.0.0.1:1", revision: 5 };
    expect(await provider.diff!("k", outs, ins)).toMatchObject({ changes: false, replaces: [] });
    const moved = await checked({ root: "/x", service: "app", endpoint: "b", value: "127.0.0.1:1" });
    const d = await provider.diff!("k", outs, moved);
    expect(d.changes).toBe(true);
    expect(d.replaces).toContain("endpoint");
  });

  it("create fails on a key someone else wrote, says what is there and how to adopt; adopt: true takes it over", async () => {
    const r = root();
    const key = `${r}/services/app/upstream/py2`;
    const foreign = JSON.stringify({ addr: "10.0.0.5:49161", source: "registrator@backend-1" });
    await admin.put(key).value(foreign);
    const ins = await checked({ root: r, service: "app", endpoint: "py2", value: "127.0.0.1:9000" });
    const err = await provider.create(ins).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/already exists/);
    expect(err?.message).toContain("registrator@backend-1");
    expect(err?.message).toContain("10.0.0.5:49161");
    expect(err?.message).toMatch(/adopt: true/);
    expect(await admin.get(key).string()).toBe(foreign);

    const adopted = await provider.create(await checked({ root: r, service: "app", endpoint: "py2", value: "127.0.0.1:9000", adopt: true }));
    expect(adopted.id).toBe(key);
    expect(await admin.get(key).string()).toBe("127.0.0.1:9000");
  });

  it("create adopts silently when the key already holds exactly our value (a retried create)", async () => {
    const r = root();
    const key = `${r}/services/app/upstream/same`;
    await admin.put(key).value("127.0.0.1:9001");
    const before = Number((await admin.get(key).exec()).kvs[0].mod_revision);
    const created = await provider.create(await checked({ root: r, service: "app", endpoint: "same", value: "127.0.0.1:9001" }));
    expect(created.outs.revision).toBe(before);
  });

  it("delete refuses a value that is no longer ours and leaves it alone", async () => {
    const r = root();
    const created = await provider.create(await checked({ root: r, service: "app", endpoint: "e1", value: "127.0.0.1:9002" }));
    await admin.put(created.id).value("127.0.0.1:7777");
    await expect(provider.delete!(created.id, created.outs)).rejects.toThrow(/refusing to delete .*127\.0\.0\.1:7777/);
    expect(await admin.get(created.id).string()).toBe("127.0.0.1:7777");
  });

  it("update refuses to overwrite a value changed by hand since the last deploy", async () => {
    const r = root();
    const created = await provider.create(await checked({ root: r, service: "app", endpoint: "e2", value: "127.0.0.1:9003" }));
    await admin.put(created.id).value("127.0.0.1:7778");
    const news = await checked({ root: r, service: "app", endpoint: "e2", value: "127.0.0.1:9004" });
    await expect(provider.update!(created.id, created.outs, news)).rejects.toThrow(/changed outside Pulumi.*pulumi refresh/);
    expect(await admin.get(created.id).string()).toBe("127.0.0.1:7778");
  });

  it("refresh (read) reports drift after a hand put, and deletion after a hand delete", async () => {
    const r = root();
    const created = await provider.create(await checked({ root: r, service: "app", endpoint: "drift", value: "127.0.0.1:9005" }));
    expect(await etcdctl("put", created.id, "127.0.0.1:9999")).toBe("OK");
    const drifted = await provider.read!(created.id, created.outs);
    expect(drifted.id).toBe(created.id);
    expect(drifted.props!.value).toBe("127.0.0.1:9999");
    expect(drifted.props!.addr).toBe("127.0.0.1:9999");
    expect(drifted.props!.revision).toBeGreaterThan(created.outs.revision);
    // The next `up` sees the drift as a change back to the program's value.
    const back = await provider.diff!(created.id, drifted.props, await checked({ root: r, service: "app", endpoint: "drift", value: "127.0.0.1:9005" }));
    expect(back.changes).toBe(true);

    expect(await etcdctl("del", created.id)).toBe("1");
    const gone = await provider.read!(created.id, drifted.props);
    expect(gone.id).toBe("");
  });

  it("create succeeds with one member down", async () => {
    await cluster.kill(1);
    try {
      const r = root();
      const created = await provider.create(await checked({ root: r, service: "app", endpoint: "m1", value: "127.0.0.1:9006" }));
      expect(await admin.get(created.id).string()).toBe("127.0.0.1:9006");
    } finally {
      await cluster.restart(1);
    }
  });

  it("create with quorum lost fails within the deadline with a clear message and leaves no key", async () => {
    const r = root();
    const key = `${r}/services/app/upstream/q`;
    const connection = cluster.connection({ callTimeoutMs: 1500, dialTimeoutMs: 1500 });
    const ins = await checked({ root: r, service: "app", endpoint: "q", value: "127.0.0.1:9007" }, connection);
    // Keep the leader and kill the other two: the worst case, since a leader that has just lost its majority
    // still accepts proposals into its log until it notices (about one election timeout).
    const leader = await leaderIndex();
    const victims = [0, 1, 2].filter((i) => i !== leader);
    for (const i of victims) await cluster.kill(i);
    try {
      const started = Date.now();
      const err = await provider.create(ins).then(() => undefined, (e: Error) => e);
      const took = Date.now() - started;
      expect(err?.message).toMatch(/etcd quorum lost: 1 of 3 members reachable/);
      expect(err?.message).toContain(`create ${key} (quorum check before writing)`);
      // Call deadline (1.5 s) plus the diagnosis probes (about 2 x 1 s), with slack for a loaded machine.
      expect(took).toBeLessThan(6000);
    } finally {
      for (const i of victims) await cluster.restart(i);
    }
    // Had the create proposed its write, the returning members would commit it. A marker written after the
    // restart is ordered after anything the old leader's log held (committed before it, or discarded), so once
    // the marker is readable, the key's absence is final; polling for a few seconds more checks that too.
    const marker = `${r}/after-restart`;
    await waitFor("a write to succeed once quorum is back", async () => { await admin.put(marker).value("1"); return true; }, 30_000, 200);
    expect(await admin.get(marker).string()).toBe("1");
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      expect(await admin.get(key).string()).toBeNull();
      await new Promise((res) => setTimeout(res, 250));
    }
  });
});
