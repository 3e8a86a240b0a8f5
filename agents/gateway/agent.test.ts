/**
 * The gateway agent's reconcile driven end to end with a fake store, a fake driver, fake probes and a fake
 * status sink (no etcd, no proxy): what it decides to apply, how it adopts a running proxy after a restart,
 * how it retries with backoff, and when a drained endpoint leaves the view.
 */
import { afterEach, describe, expect, it } from "vitest";
import pino from "pino";
import { routeKey, upstreamKey } from "../../lib/etcd/keys";
import type { GatewayStatus } from "../../lib/etcd/status";
import { GatewayAgent, type AgentOptions } from "./agent";
import type { KeyValue } from "./desired";
import { ApplyError, type AdoptedProxy, type ProxyDriver } from "./drivers/types";
import type { ServicesStore, WatchCallbacks } from "./etcd-source";
import type { HealthTarget, ProbeResult } from "./health";
import { createMetrics } from "./metrics";
import { structureKey, type ProxyView } from "./view";

const ROOT = "/sy";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class FakeStore implements ServicesStore {
  kvs = new Map<string, string>();
  revision = 1;
  cb?: WatchCallbacks;
  down = false;
  lists = 0;
  async list(): Promise<{ revision: number; kvs: KeyValue[] }> {
    this.lists++;
    if (this.down) throw new Error("etcd unreachable");
    return { revision: this.revision, kvs: [...this.kvs].map(([key, value]) => ({ key, value })) };
  }
  watch(_revision: number, cb: WatchCallbacks): void {
    this.cb = cb;
  }
  async close(): Promise<void> {}
  put(key: string, value: string): void {
    this.kvs.set(key, value);
    this.cb?.changed(++this.revision, [{ type: "put", key, value, revision: this.revision }]);
  }
  del(key: string): void {
    this.kvs.delete(key);
    this.cb?.changed(++this.revision, [{ type: "delete", key, value: "", revision: this.revision }]);
  }
}

class FakeDriver implements ProxyDriver {
  readonly kind = "haproxy" as const;
  onRestart?: () => void;
  applies: { how: "structure" | "membership"; view: ProxyView; at: number }[] = [];
  failNext = 0;
  adopted?: AdoptedProxy;
  async adopt() {
    return this.adopted;
  }
  async applyStructure(view: ProxyView) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new ApplyError("validate", "haproxy -c rejected the rendered config");
    }
    this.applies.push({ how: "structure", view, at: Date.now() });
  }
  async applyMembership(view: ProxyView) {
    this.applies.push({ how: "membership", view, at: Date.now() });
  }
  running() {
    return true;
  }
  async stop() {}
  /** Names of the endpoints taking new requests in the last applied view. */
  enabled(service = "app"): string[] {
    const v = this.applies.at(-1)?.view;
    return (v?.services.find((s) => s.name === service)?.endpoints ?? []).filter((e) => e.enabled).map((e) => e.name);
  }
}

const options: AgentOptions = {
  id: "gw",
  root: ROOT,
  quietMs: 5,
  maxWaitMs: 20,
  drainMs: 300,
  resyncMs: 60_000,
  statusTtlSeconds: 10,
  healthIntervalMs: 60_000,
  healthTimeoutMs: 100,
  healthRise: 1,
  healthFall: 2,
  defaultHealthPath: "/",
};

interface Rig {
  agent: GatewayAgent;
  store: FakeStore;
  driver: FakeDriver;
  statuses: GatewayStatus[];
  /** Probe answers by "host:port"; default ok. */
  probeAnswers: Map<string, boolean>;
}

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.agent.stop();
});

function rig(o: Partial<AgentOptions> = {}, setup?: (r: Omit<Rig, "agent">) => void): Rig {
  const store = new FakeStore();
  const driver = new FakeDriver();
  const statuses: GatewayStatus[] = [];
  const probeAnswers = new Map<string, boolean>();
  const partial = { store, driver, statuses, probeAnswers };
  setup?.(partial);
  const agent = new GatewayAgent({ ...options, ...o }, {
    store,
    driver,
    status: { publish: (s) => statuses.push(s), stop: async () => undefined },
    metrics: createMetrics(),
    log: pino({ level: "silent" }),
    lookup: async (h) => h,
    probe: async (t: HealthTarget): Promise<ProbeResult> => (probeAnswers.get(`${t.host}:${t.port}`) ?? true ? { ok: true } : { ok: false, reason: "refused" }),
    backoff: { initialMs: 20, maxMs: 80 },
  });
  const r = { ...partial, agent };
  rigs.push(r);
  return r;
}

const settle = async (r: Rig) => {
  await sleep(40); // past the debounce
  await r.agent.idle();
};

describe("GatewayAgent reconcile (fake store and driver)", () => {
  it("renders the structure first, then applies membership changes at runtime, and a route change by render again", async () => {
    const r = rig();
    r.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
    r.agent.start();
    await settle(r);
    expect(r.driver.applies.map((a) => a.how)).toEqual(["structure"]);
    expect(r.driver.enabled()).toEqual(["a"]);

    r.store.put(upstreamKey(ROOT, "app", "b"), "10.0.0.2:80");
    await settle(r);
    expect(r.driver.applies.map((a) => a.how)).toEqual(["structure", "membership"]);
    expect(r.driver.enabled()).toEqual(["a", "b"]);
    expect(r.statuses.at(-1)).toMatchObject({ appliedRevision: 2, lastError: null });
    expect(r.statuses.at(-1)!.endpoints["app/b"]).toMatchObject({ addr: "10.0.0.2:80", health: "healthy" });

    r.store.put(routeKey(ROOT, "app"), JSON.stringify({ hosts: ["a.b.com"], default: true }));
    await settle(r);
    expect(r.driver.applies.at(-1)!.how).toBe("structure");
    // Nothing changed: a resync-style reconcile applies nothing.
    const n = r.driver.applies.length;
    r.store.cb!.resync("test");
    await settle(r);
    expect(r.driver.applies.length).toBe(n);
  });

  it("keeps an endpoint that fails its first probes out of rotation until it answers (pending is not routed)", async () => {
    const r = rig({}, (p) => p.probeAnswers.set("10.0.0.2:80", false));
    r.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
    r.store.kvs.set(upstreamKey(ROOT, "app", "b"), "10.0.0.2:80");
    r.agent.start();
    await settle(r);
    expect(r.driver.enabled()).toEqual(["a"]);
    expect(r.statuses.at(-1)!.endpoints["app/b"].health).toBe("pending");
  });

  it("restart adoption: endpoints the running proxy routes stay routed, with no reload, even when a first probe fails", async () => {
    const r = rig({ healthIntervalMs: 150 }, (p) => {
      p.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
      p.store.kvs.set(upstreamKey(ROOT, "app", "b"), "10.0.0.2:80");
      // The new agent's first probes both fail (an agent starved at start, a backend busy for a moment).
      p.probeAnswers.set("10.0.0.1:80", false);
      p.probeAnswers.set("10.0.0.2:80", false);
      // The structure the previous agent rendered: the same desired state.
      const structure = structureKey({ services: [{ name: "app", backend: "sy_app", hosts: [], isDefault: true, sticky: false, endpoints: [] }], defaultService: "app" });
      p.driver.adopted = {
        structure,
        servers: [
          { backend: "sy_app", server: "a", host: "10.0.0.1", port: 80, enabled: true },
          { backend: "sy_app", server: "b", host: "10.0.0.2", port: 80, enabled: true },
          // Removed from etcd while no agent ran: it drains, then leaves.
          { backend: "sy_app", server: "old", host: "10.0.0.9", port: 80, enabled: true },
        ],
      };
    });
    r.agent.start();
    await settle(r);
    expect(r.driver.applies[0].how).toBe("membership");
    expect(r.driver.applies.every((a) => a.how === "membership")).toBe(true);
    expect(r.driver.enabled()).toEqual(["a", "b"]);
    const old = r.driver.applies[0].view.services[0].endpoints.find((e) => e.name === "old");
    expect(old).toMatchObject({ draining: true, enabled: false });
    expect(r.statuses.at(-1)!.endpoints["app/a"].health).toBe("healthy");
    await sleep(options.drainMs + 50);
    await r.agent.idle();
    expect(r.driver.applies.at(-1)!.view.services[0].endpoints.map((e) => e.name)).toEqual(["a", "b"]);
    // Its own checks decide from then on: `fall` (2) failed probes in a row take b out.
    r.probeAnswers.set("10.0.0.1:80", true);
    await sleep(150 * 3 + 50);
    await r.agent.idle();
    expect(r.driver.enabled()).toEqual(["a"]);
    expect(r.statuses.at(-1)!.endpoints["app/b"].health).toBe("unhealthy");
  });

  it("adoption without a known structure reloads once, still with the adopted endpoints routed", async () => {
    const r = rig({}, (p) => {
      p.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
      p.probeAnswers.set("10.0.0.1:80", false);
      p.driver.adopted = { servers: [{ backend: "sy_app", server: "a", host: "10.0.0.1", port: 80, enabled: true }] };
    });
    r.agent.start();
    await settle(r);
    expect(r.driver.applies[0].how).toBe("structure");
    expect(r.driver.enabled()).toEqual(["a"]);
  });

  it("an adopted server the proxy had disabled is not revived by adoption: its first probe decides", async () => {
    const r = rig({}, (p) => {
      p.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
      p.store.kvs.set(upstreamKey(ROOT, "app", "b"), "10.0.0.2:80");
      p.probeAnswers.set("10.0.0.2:80", false);
      p.driver.adopted = {
        servers: [
          { backend: "sy_app", server: "a", host: "10.0.0.1", port: 80, enabled: true },
          { backend: "sy_app", server: "b", host: "10.0.0.2", port: 80, enabled: false },
        ],
      };
    });
    r.agent.start();
    await settle(r);
    expect(r.driver.enabled()).toEqual(["a"]);
  });

  it("retries a failed apply with backoff on its own, reports lastError meanwhile, clears it once through", async () => {
    const r = rig();
    r.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
    r.driver.failNext = 3;
    const started = Date.now();
    r.agent.start();
    await sleep(10);
    await r.agent.idle();
    const elapsed = Date.now() - started;
    expect(r.driver.applies.map((a) => a.how)).toEqual(["structure"]);
    // Backoff 20, 40, 80 ms between the three failures and the success.
    expect(elapsed).toBeGreaterThanOrEqual(20 + 40 + 80 - 10);
    expect(r.statuses.some((s) => s.lastError?.message.startsWith("validate:"))).toBe(true);
    expect(r.statuses.at(-1)!.lastError).toBeNull();
  });

  it("keeps serving the last desired state while the store is unreachable, and catches up once it answers", async () => {
    const r = rig();
    r.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
    r.agent.start();
    await settle(r);
    r.store.down = true;
    r.store.kvs.set(upstreamKey(ROOT, "app", "b"), "10.0.0.2:80");
    r.store.cb!.resync("watch disconnected");
    await sleep(100);
    expect(r.agent.etcdUp).toBe(false);
    expect(r.store.lists).toBeGreaterThan(2); // retried with backoff
    expect(r.driver.enabled()).toEqual(["a"]);
    r.store.down = false;
    r.store.revision++;
    await sleep(120);
    await r.agent.idle();
    expect(r.agent.etcdUp).toBe(true);
    expect(r.driver.enabled()).toEqual(["a", "b"]);
  });

  it("drains a deleted endpoint: listed, taking no new requests, for drainMs; then gone from the view and the status", async () => {
    const r = rig();
    r.store.kvs.set(upstreamKey(ROOT, "app", "a"), "10.0.0.1:80");
    r.store.kvs.set(upstreamKey(ROOT, "app", "b"), "10.0.0.2:80");
    r.agent.start();
    await settle(r);
    r.store.del(upstreamKey(ROOT, "app", "b"));
    await settle(r);
    const removedAt = Date.now();
    const during = r.driver.applies.at(-1)!.view.services[0].endpoints;
    expect(during.map((e) => [e.name, e.enabled, e.draining])).toEqual([["a", true, false], ["b", false, true]]);
    expect(r.statuses.at(-1)!.endpoints["app/b"]).toBeDefined();
    await sleep(options.drainMs + 60);
    await r.agent.idle();
    const after = r.driver.applies.at(-1)!;
    expect(after.view.services[0].endpoints.map((e) => e.name)).toEqual(["a"]);
    expect(after.at - removedAt).toBeGreaterThanOrEqual(options.drainMs - 40);
    expect(r.statuses.at(-1)!.endpoints["app/b"]).toBeUndefined();
  });
});
