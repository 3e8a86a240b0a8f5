/**
 * The Route provider, as Pulumi runs it: the `__provider` text captured under mocks, loaded the way the
 * dynamic-provider host loads it, against a real 3-member etcd behind the real proxy: create / read (drift,
 * deletion) / update / delete, a hand-written route (conflict, adopt), and the gate with the simulated gateway
 * of the Upstream tests (provider/upstream/testing.ts), which applies every change under services/.
 */
import { describe, expect, it } from "vitest";
import { parseRouteValue } from "../../lib/etcd/keys";
import { captureRouteProviderText } from "../../provider/route/testing";
import { providerTestbed } from "../helpers/provider-testbed";

const bed = providerTestbed(captureRouteProviderText);
let n = 0;

const root = () => `/sy-test-route-${process.pid}-${++n}`;

async function inputs(r: string, route: Record<string, unknown>, gate: Record<string, unknown> = { enabled: false }) {
  const res = await bed.provider.check!({}, { root: r, service: "a", connection: bed.cluster.connection(), gate, ...route });
  expect(res.failures ?? []).toEqual([]);
  return res.inputs;
}
const routeOf = async (r: string, svc = "a") => {
  const v = await bed.admin.get(`${r}/services/${svc}/route`).string();
  return v === null ? null : parseRouteValue(v);
};

describe("Route provider against a real etcd", () => {
  it("create writes the route the gateways read; update changes it in place; delete removes it", async () => {
    const r = root();
    const ins = await inputs(r, { hosts: ["a.b.com"], sticky: true });
    const created = await bed.provider.create!(ins);
    expect(created.id).toBe(`${r}/services/a/route`);
    expect(await routeOf(r)).toEqual({ hosts: ["a.b.com"], default: false, sticky: true });
    expect(created.outs.revision).toBeGreaterThan(0);

    const news = await inputs(r, { hosts: ["a.b.com", "www.a.b.com"], default: true, sticky: true });
    expect(await bed.provider.diff!(created.id, created.outs, news)).toMatchObject({ changes: true, replaces: [] });
    const updated = await bed.provider.update!(created.id, created.outs, news);
    expect(await routeOf(r)).toEqual({ hosts: ["a.b.com", "www.a.b.com"], default: true, sticky: true });
    expect(updated.outs!.revision).toBeGreaterThan(created.outs.revision);

    await bed.provider.delete!(created.id, updated.outs!);
    expect(await routeOf(r)).toBeNull();
  });

  it("read reports drift (a hand edit) and deletion", async () => {
    const r = root();
    const created = await bed.provider.create!(await inputs(r, { hosts: ["a.b.com"] }));
    await bed.admin.put(`${r}/services/a/route`).value('{"hosts":["x.b.com"],"default":false}');
    const drifted = await bed.provider.read!(created.id, created.outs);
    expect(drifted.props!.value).toBe('{"hosts":["x.b.com"],"default":false}');
    await bed.admin.delete().key(`${r}/services/a/route`);
    expect((await bed.provider.read!(created.id, created.outs)).id).toBe("");
  });

  it("a route written by someone else: create fails saying what is there and how to adopt; adopt takes it over", async () => {
    const r = root();
    await bed.admin.put(`${r}/services/a/route`).value('{"hosts":["hand.b.com"],"default":true}');
    const err = await bed.provider.create!(await inputs(r, { hosts: ["a.b.com"] })).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/already exists with value '\{"hosts":\["hand\.b\.com"\].*which this Route did not write/);
    expect(err?.message).toContain("adoptRoute: true");
    expect(await routeOf(r)).toEqual({ hosts: ["hand.b.com"], default: true });
    const adopted = await bed.provider.create!(await inputs(r, { hosts: ["a.b.com"], adopt: true }));
    expect(await routeOf(r)).toMatchObject({ hosts: ["a.b.com"] });
    // A delete after someone rewrote it leaves their route in place.
    await bed.admin.put(`${r}/services/a/route`).value('{"hosts":["other.b.com"]}');
    await expect(bed.provider.delete!(adopted.id, adopted.outs)).rejects.toThrow(/refusing to delete .*other\.b\.com/);
    expect(await routeOf(r)).toMatchObject({ hosts: ["other.b.com"] });
  });

  it("gated: create, update and delete return once every live gateway has applied the write", async () => {
    const r = root();
    const g1 = await bed.sim(r, "gw-1");
    const g2 = await bed.sim(r, "gw-2");
    const gate = { enabled: true, timeoutMs: 10_000, pollMs: 100 };
    const created = await bed.provider.create!(await inputs(r, { hosts: ["a.b.com"] }, gate));
    for (const g of [g1, g2]) expect(g.last()!.appliedRevision).toBeGreaterThanOrEqual(created.outs.revision);
    expect(created.outs.gateResult.gateways.sort()).toEqual(["gw-1", "gw-2"]);
    const updated = await bed.provider.update!(created.id, created.outs, await inputs(r, { hosts: ["a.b.com"], sticky: true }, gate));
    for (const g of [g1, g2]) expect(g.last()!.appliedRevision).toBeGreaterThanOrEqual(updated.outs!.revision);
    await bed.provider.delete!(created.id, updated.outs!);
    // The simulated gateways apply only changes under services/: past the update's revision is the delete's.
    for (const g of [g1, g2]) expect(g.last()!.appliedRevision).toBeGreaterThan(updated.outs!.revision);
    expect(await routeOf(r)).toBeNull();
  });

  it("gated: a gateway that does not apply makes the write fail after the timeout and rolls it back", async () => {
    const r = root();
    const gate = { enabled: true, timeoutMs: 1500, pollMs: 100 };
    await bed.sim(r, "gw-ok");
    const stuck = await bed.sim(r, "gw-stuck", "frozen");
    const created = await bed.provider.create!(await inputs(r, { hosts: ["a.b.com"] }, gate)).then(() => undefined, (e: Error) => e);
    expect((created as Error).message).toMatch(/not confirmed by the gateways, so it was rolled back \(removed .*route again\).*gateway gw-stuck has applied revision \d+, waiting for \d+/);
    expect(await routeOf(r)).toBeNull();

    // An update that is not applied puts the previous route back.
    stuck.mode = "ack";
    const first = await bed.provider.create!(await inputs(r, { hosts: ["a.b.com"] }, gate));
    stuck.mode = "frozen";
    const err = await bed.provider.update!(first.id, first.outs, await inputs(r, { hosts: ["z.b.com"] }, gate)).then(() => undefined, (e: Error) => e);
    expect(err?.message).toMatch(/update .* rolled back \(restored/);
    expect(await routeOf(r)).toMatchObject({ hosts: ["a.b.com"] });
  });
});
