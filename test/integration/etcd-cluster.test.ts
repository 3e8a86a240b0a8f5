/**
 * The experiment of 000_f7aa1b7ca758acb0.txt, automated on a real 3-member etcd cluster behind the real proxy,
 * both started with the flag functions the components use: list members, write through the proxy and read
 * from every member, kill one member, kill a second, restart both.
 */
import type { Etcd3 } from "etcd3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectEtcd, explainEtcdError } from "../../lib/etcd/client";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { waitFor } from "../helpers/ports";

const CALL_TIMEOUT_MS = 1500;

describe("a real 3-member etcd cluster behind the proxy", () => {
  let cluster: TestCluster;
  let proxy: Etcd3;
  const direct: Etcd3[] = [];

  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 3 });
    proxy = connectEtcd(cluster.connection({ callTimeoutMs: CALL_TIMEOUT_MS }));
    for (const ep of cluster.memberEndpoints) direct.push(connectEtcd({ endpoints: [ep], callTimeoutMs: CALL_TIMEOUT_MS }));
  });
  afterAll(async () => {
    proxy?.close();
    direct.forEach((c) => c.close());
    await cluster?.stop();
  });

  /** Writes through the proxy, retrying across the reconnect that follows a member's death. */
  const putEventually = (key: string, value: string, withinMs: number) =>
    waitFor(`put ${key} through the proxy`, async () => { await proxy.put(key).value(value); return true; }, withinMs, 100);

  it("lists the three members through the proxy", async () => {
    const { members } = await proxy.cluster.memberList({});
    expect(members.map((m) => m.name).sort()).toEqual(["etcd-0", "etcd-1", "etcd-2"]);
  });

  it("a key put through the proxy is readable from every member", async () => {
    await proxy.put("/mykey").value("test key");
    for (const c of direct) expect(await c.get("/mykey").serializable(true).string()).toBe("test key");
  });

  it("one member killed: reads and writes through the proxy still work", async () => {
    await cluster.kill(2);
    await putEventually("/mykey2", "t", 5000);
    expect(await proxy.get("/mykey").string()).toBe("test key");
    expect(await proxy.get("/mykey2").string()).toBe("t");
  });

  it("a second member killed: writes fail within the client deadline with a clear error; serializable reads still work", async () => {
    await cluster.kill(1);
    // The survivor may take a moment to notice the loss of its peers: first wait until writes fail at all
    // (however long each attempt takes), then time one write on its own, so that a slow failure cannot be
    // hidden behind a later fast one.
    await waitFor("a write to fail once quorum is lost", async () => {
      try {
        await proxy.put("/mykey3").value("t");
        return false;
      } catch {
        return true;
      }
    }, 15_000, 200);
    const started = Date.now();
    const failure = await proxy.put("/mykey3").value("t").then(() => undefined, (e: unknown) => e);
    const elapsed = Date.now() - started;
    expect(failure, "a write without quorum must fail").toBeDefined();
    expect(elapsed).toBeLessThan(CALL_TIMEOUT_MS + 1000);
    const explained = explainEtcdError(failure, cluster.connection({ callTimeoutMs: CALL_TIMEOUT_MS }), "put /mykey3");
    expect(explained.message).toMatch(/quorum|unreachable/);
    // etcd v3 serves linearizable reads only with a quorum (v2 in the source documents served any read);
    // a serializable read answers from the surviving member's local copy.
    const survivor = direct[0];
    expect(await survivor.get("/mykey2").serializable(true).string()).toBe("t");
    const viaProxy = await waitFor("a serializable read through the proxy", async () => proxy.get("/mykey2").serializable(true).string(), 10_000, 200);
    expect(viaProxy).toBe("t");
  });

  it("both members restarted: the cluster heals and no committed key was lost", async () => {
    await cluster.restart(1);
    await cluster.restart(2);
    await putEventually("/mykey3", "t", 15_000);
    for (const c of direct) {
      const all = await waitFor("member caught up", async () => {
        const kv = await c.getAll().prefix("/mykey").serializable(true).strings();
        return Object.keys(kv).length === 3 ? kv : undefined;
      }, 15_000, 100);
      expect(all).toEqual({ "/mykey": "test key", "/mykey2": "t", "/mykey3": "t" });
    }
    const { members } = await proxy.cluster.memberList({});
    expect(members).toHaveLength(3);
  });
});
