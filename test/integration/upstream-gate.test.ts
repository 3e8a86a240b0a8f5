/**
 * The gate, end to end: the serialized Upstream provider against a real 3-member etcd, with a simulated
 * gateway (provider/upstream/testing.ts `startSimGateway`) that speaks the status protocol and that the test
 * drives: acknowledge, report unhealthy, or freeze.
 */
import { expect, describe, it } from "vitest";
import { captureProviderText } from "../../provider/upstream/testing";
import { providerTestbed } from "../helpers/provider-testbed";

const bed = providerTestbed(captureProviderText);
let n = 0;

const root = () => `/sy-test-gate-${process.pid}-${++n}`;

async function inputs(r: string, endpoint: string, value: string, gate: Record<string, unknown> = {}) {
  const res = await bed.provider.check!({}, { root: r, service: "app", endpoint, value, connection: bed.cluster.connection(), gate: { enabled: true, timeoutMs: 3000, pollMs: POLL_MS, ...gate } });
  expect(res.failures ?? []).toEqual([]);
  return res.inputs;
}

async function waitUntil(cond: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}

const POLL_MS = 100;

/**
 * "pending" if `p` has not settled once `reached` holds (the provider has made its write) and three more gate
 * polls have passed. A fixed wait from the call could elapse before the write on a loaded machine, and a gate
 * that does not wait would then look pending too; counted from the write, it would have settled at once.
 */
async function pendingAfter(p: Promise<unknown>, reached: () => Promise<boolean>): Promise<"pending" | "settled"> {
  let settled = false;
  void p.then(() => (settled = true), () => (settled = true));
  const deadline = Date.now() + 10_000;
  while (!(await reached())) {
    if (settled) return "settled";
    if (Date.now() > deadline) throw new Error("the provider never made its write");
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 3 * POLL_MS));
  return settled ? "settled" : "pending";
}
const written = (key: string) => async () => (await bed.admin.get(key).string()) !== null;
const removed = (key: string) => async () => (await bed.admin.get(key).string()) === null;

describe("Upstream gate (simulated gateway driven by the test)", () => {
  it("create waits until the gateway has applied the revision and reports the endpoint healthy", async () => {
    const r = root();
    const gw = await bed.sim(r, "gw-1", "frozen");
    const creating = bed.provider.create(await inputs(r, "v2-0", "127.0.0.1:9100"));
    expect(await pendingAfter(creating, written(`${r}/services/app/upstream/v2-0`))).toBe("pending");
    gw.mode = "ack";
    const created = await creating;
    expect(created.outs.gateResult).toMatchObject({ gateways: ["gw-1"], noGateways: false });
    expect(gw.last()!.appliedRevision).toBeGreaterThanOrEqual(created.outs.revision);
    expect(gw.last()!.endpoints["app/v2-0"]).toMatchObject({ addr: "127.0.0.1:9100", health: "healthy" });
  });

  it("create fails and removes its key when the gateway never acknowledges", async () => {
    const r = root();
    await bed.sim(r, "gw-1", "frozen");
    const ins = await inputs(r, "v2-0", "127.0.0.1:9101", { timeoutMs: 1500 });
    const err = await bed.provider.create(ins).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/not confirmed by the gateways, so it was rolled back \(removed .*\): timed out after 1500 ms/);
    expect(err?.message).toMatch(/gateway gw-1 has applied revision \d+, waiting for \d+/);
    expect(await bed.admin.get(ins.key).string()).toBeNull();
  });

  it("create fails fast and removes its key when the gateway reports the endpoint unhealthy", async () => {
    const r = root();
    const gw = await bed.sim(r, "gw-1", "unhealthy");
    gw.reason = "GET /healthz -> 500";
    const ins = await inputs(r, "v2-0", "127.0.0.1:9102", { timeoutMs: 10_000, unhealthyGraceMs: 300 });
    const started = Date.now();
    const err = await bed.provider.create(ins).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/rolled back/);
    expect(err?.message).toContain("gateway gw-1 reports app/v2-0 unhealthy: GET /healthz -> 500");
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await bed.admin.get(ins.key).string()).toBeNull();
  });

  it("update restores the previous value when the new one is reported unhealthy", async () => {
    const r = root();
    const gw = await bed.sim(r, "gw-1", "ack");
    const created = await bed.provider.create(await inputs(r, "e", "127.0.0.1:9103", { unhealthyGraceMs: 300 }));
    gw.mode = "unhealthy";
    const news = await inputs(r, "e", "127.0.0.1:9104", { unhealthyGraceMs: 300 });
    await expect(bed.provider.update!(created.id, created.outs, news)).rejects.toThrow(/restored .* to '127\.0\.0\.1:9103'/);
    expect(await bed.admin.get(created.id).string()).toBe("127.0.0.1:9103");
  });

  it("delete waits until the gateway no longer lists the endpoint", async () => {
    const r = root();
    const gw = await bed.sim(r, "gw-1", "ack");
    const created = await bed.provider.create(await inputs(r, "old", "127.0.0.1:9105"));
    gw.mode = "frozen";
    const deleting = bed.provider.delete!(created.id, created.outs);
    expect(await pendingAfter(deleting, removed(created.id))).toBe("pending");
    expect(await bed.admin.get(created.id).string()).toBeNull(); // the key is gone, the gateway has not caught up
    expect(gw.last()!.endpoints["app/old"]).toBeDefined();
    gw.mode = "ack";
    await deleting;
    expect(gw.last()!.endpoints["app/old"]).toBeUndefined();
  });

  it("delete fails (and can be re-run) when the gateway keeps routing to the endpoint", async () => {
    const r = root();
    const gw = await bed.sim(r, "gw-1", "ack");
    const created = await bed.provider.create(await inputs(r, "stuck", "127.0.0.1:9106", { timeoutMs: 1200 }));
    gw.mode = "frozen";
    await expect(bed.provider.delete!(created.id, created.outs)).rejects.toThrow(/did not all stop routing.*Run again/);
    gw.mode = "ack";
    await expect(bed.provider.delete!(created.id, created.outs)).resolves.toBeUndefined();
  });

  it("deleting a key already deleted by hand passes once no gateway routes to it, whatever the revision now", async () => {
    const r = root();
    const gw = await bed.sim(r, "gw-1", "ack");
    const created = await bed.provider.create(await inputs(r, "gone", "127.0.0.1:9109"));
    await bed.admin.delete().key(created.id);
    await waitUntil(() => gw.last()!.endpoints["app/gone"] === undefined);
    // Unrelated writes move the store revision past anything the gateway will apply (it applies on service changes).
    await bed.admin.put(`${r}/unrelated`).value("x");
    const reconciles = gw.reconciles();
    const started = Date.now();
    await bed.provider.delete!(created.id, created.outs);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(gw.reconciles()).toBe(reconciles);
  });

  it("with zero live gateways, create and delete pass at once and say so", async () => {
    const r = root();
    const created = await bed.provider.create(await inputs(r, "lonely", "127.0.0.1:9107"));
    expect(created.outs.gateResult).toMatchObject({ gateways: [], noGateways: true });
    await bed.provider.delete!(created.id, created.outs);
    expect(await bed.admin.get(created.id).string()).toBeNull();
  });

  it("waits for every live gateway, not just one", async () => {
    const r = root();
    await bed.sim(r, "gw-a", "ack");
    const slow = await bed.sim(r, "gw-b", "frozen");
    const creating = bed.provider.create(await inputs(r, "both", "127.0.0.1:9108"));
    expect(await pendingAfter(creating, written(`${r}/services/app/upstream/both`))).toBe("pending");
    slow.mode = "ack";
    const created = await creating;
    expect([...created.outs.gateResult.gateways].sort()).toEqual(["gw-a", "gw-b"]);
  });
});
