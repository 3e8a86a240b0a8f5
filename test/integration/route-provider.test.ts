/**
 * The Route provider, as Pulumi runs it: the `__provider` text captured under mocks, loaded the way the
 * dynamic-provider host loads it, against a real 3-member etcd behind the real proxy: create / read (drift,
 * deletion) / update / delete, a hand-written route (conflict, adopt), and the gate with the simulated gateway
 * of the Upstream tests (provider/upstream/testing.ts), which applies every change under services/.
 */
import type { Etcd3 } from "etcd3";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectEtcd } from "../../lib/etcd/client";
import { parseRouteValue } from "../../lib/etcd/keys";
import { captureRouteProviderText } from "../../provider/route/testing";
import { loadSerializedProvider } from "../../provider/upstream/host";
import { startSimGateway, type SimGateway } from "../../provider/upstream/testing";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";

let cluster: TestCluster;
let admin: Etcd3;
let provider: pulumi.dynamic.ResourceProvider;
const sims: SimGateway[] = [];
let n = 0;

beforeAll(async () => {
  const [c, text] = await Promise.all([startEtcdCluster({ size: 3 }), captureRouteProviderText()]);
  cluster = c;
  provider = loadSerializedProvider(text);
  admin = connectEtcd(cluster.connection());
}, 120_000);

afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

afterAll(async () => {
  admin?.close();
  await cluster?.stop();
});

const root = () => `/sy-test-route-${process.pid}-${++n}`;

async function inputs(r: string, route: Record<string, unknown>, gate: Record<string, unknown> = { enabled: false }) {
  const res = await provider.check!({}, { root: r, service: "a", connection: cluster.connection(), gate, ...route });
  expect(res.failures ?? []).toEqual([]);
  return res.inputs;
}
const routeOf = async (r: string, svc = "a") => {
  const v = await admin.get(`${r}/services/${svc}/route`).string();
  return v === null ? null : parseRouteValue(v);
};

describe("Route provider against a real etcd", () => {
  it("create writes the route the gateways read; update changes it in place; delete removes it", async () => {
    const r = root();
    const ins = await inputs(r, { hosts: ["a.b.com"], sticky: true });
    const created = await provider.create!(ins);
    expect(created.id).toBe(`${r}/services/a/route`);
    expect(await routeOf(r)).toEqual({ hosts: ["a.b.com"], default: false, sticky: true });
    expect(created.outs.revision).toBeGreaterThan(0);

    const news = await inputs(r, { hosts: ["a.b.com", "www.a.b.com"], default: true, sticky: true });
    expect(await provider.diff!(created.id, created.outs, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = await provider.update!(created.id, created.outs, news);
    expect(await routeOf(r)).toEqual({ hosts: ["a.b.com", "www.a.b.com"], default: true, sticky: true });
    expect(updated.outs!.revision).toBeGreaterThan(created.outs.revision);

    await provider.delete!(created.id, updated.outs!);
    expect(await routeOf(r)).toBeNull();
  });

  it("read reports drift (a hand edit) and deletion", async () => {
    const r = root();
    const created = await provider.create!(await inputs(r, { hosts: ["a.b.com"] }));
    await admin.put(`${r}/services/a/route`).value('{"hosts":["x.b.com"],"default":false}');
    const drifted = await provider.read!(created.id, created.outs);
    expect(drifted.props!.value).toBe('{"hosts":["x.b.com"],"default":false}');
    await admin.delete().key(`${r}/services/a/route`);
    expect((await provider.read!(created.id, created.outs)).id).toBe("");
  });

  it("a route written by someone else: create fails saying what is there and how to adopt; adopt takes it over", async () => {
    const r = root();
    await admin.put(`${r}/services/a/route`).value('{"hosts":["hand.b.com"],"default":true}');
    const err = await provider.create!(await inputs(r, { hosts: ["a.b.com"] })).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/already exists with value '\{"hosts":\["hand\.b\.com"\].*which this Route did not write/);
    expect(err?.message).toContain("adoptRoute: true");
    expect(await routeOf(r)).toEqual({ hosts: ["hand.b.com"], default: true });
    const adopted = await provider.create!(await inputs(r, { hosts: ["a.b.com"], adopt: true }));
    expect(await routeOf(r)).toMatchObject({ hosts: ["a.b.com"] });
    // A delete after someone rewrote it leaves their route in place.
    await admin.put(`${r}/services/a/route`).value('{"hosts":["other.b.com"]}');
    await expect(provider.delete!(adopted.id, adopted.outs)).rejects.toThrow(/refusing to delete .*other\.b\.com/);
    expect(await routeOf(r)).toMatchObject({ hosts: ["other.b.com"] });
  });

  it("gated: create, update and delete return once every live gateway has applied the write", async () => {
    const r = root();
    const g1 = await startSimGateway(admin, r, "gw-1");
    const g2 = await startSimGateway(admin, r, "gw-2");
    sims.push(g1, g2);
    const gate = { enabled: true, timeoutMs: 10_000, pollMs: 100 };
    const created = await provider.create!(await inputs(r, { hosts: ["a.b.com"] }, gate));
    for (const g of [g1, g2]) expect(g.last()!.appliedRevision).toBeGreaterThanOrEqual(created.outs.revision);
    expect(created.outs.gateResult.gateways.sort()).toEqual(["gw-1", "gw-2"]);
    const updated = await provider.update!(created.id, created.outs, await inputs(r, { hosts: ["a.b.com"], sticky: true }, gate));
    for (const g of [g1, g2]) expect(g.last()!.appliedRevision).toBeGreaterThanOrEqual(updated.outs!.revision);
    await provider.delete!(created.id, updated.outs!);
    // The simulated gateways apply only changes under services/: past the update's revision is the delete's.
    for (const g of [g1, g2]) expect(g.last()!.appliedRevision).toBeGreaterThan(updated.outs!.revision);
    expect(await routeOf(r)).toBeNull();
  });

  it("gated: a gateway that does not apply makes the write fail after the timeout and rolls it back", async () => {
    const r = root();
    const gate = { enabled: true, timeoutMs: 1500, pollMs: 100 };
    const ok = await startSimGateway(admin, r, "gw-ok");
    const stuck = await startSimGateway(admin, r, "gw-stuck", { mode: "frozen" });
    sims.push(ok, stuck);
    const created = await provider.create!(await inputs(r, { hosts: ["a.b.com"] }, gate)).then(() => undefined, (e: Error) => e);
    expect((created as Error).message).toMatch(/not confirmed by the gateways, so it was rolled back \(removed .*route again\).*gateway gw-stuck has applied revision \d+, waiting for \d+/);
    expect(await routeOf(r)).toBeNull();

    // An update that is not applied puts the previous route back.
    stuck.mode = "ack";
    const first = await provider.create!(await inputs(r, { hosts: ["a.b.com"] }, gate));
    stuck.mode = "frozen";
    const err = await provider.update!(first.id, first.outs, await inputs(r, { hosts: ["z.b.com"] }, gate)).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/update .* rolled back \(restored/);
    expect(await routeOf(r)).toMatchObject({ hosts: ["a.b.com"] });
  });
});
