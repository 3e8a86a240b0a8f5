import { describe, expect, it } from "vitest";
import { formatUpstreamValue } from "../../lib/etcd/keys";
import type { Registration } from "./labels";
import { isOwnedBy, ownerOf, planHandover, planSync, type KeyState } from "./planner";

const ID = "backend-1";
const LEASE = "7587";
const key = (ep: string) => `/switchyard/services/app/upstream/${ep}`;
const value = (addr: string, registrator = ID) => formatUpstreamValue(addr, { source: "registrator", registrator, host: "10.0.0.5", container: "c" });

function desired(ep: string, addr: string, containerName = ep): Registration {
  return { key: key(ep), value: value(addr), service: "app", endpoint: ep, addr, containerId: `id-${ep}`, containerName };
}
function kv(ep: string, v: string, lease = LEASE, modRevision = "10"): KeyState {
  return { key: key(ep), value: v, lease, modRevision };
}

describe("ownership", () => {
  it("owns only JSON values with source registrator and its own id", () => {
    expect(isOwnedBy(value("10.0.0.5:1"), ID)).toBe(true);
    expect(isOwnedBy(value("10.0.0.5:1", "backend-2"), ID)).toBe(false);
    expect(ownerOf("10.0.0.5:49161")).toBeUndefined();
    expect(ownerOf(formatUpstreamValue("10.0.0.5:1", { source: "pulumi", registrator: ID }))).toBeUndefined();
    expect(ownerOf("{not json")).toBeUndefined();
  });
});

describe("planSync", () => {
  it("puts missing keys guarded by 'must not exist'", () => {
    const plan = planSync({ desired: [desired("a", "10.0.0.5:1")], current: [], registratorId: ID, leaseId: LEASE });
    expect(plan.puts).toEqual([{ key: key("a"), value: value("10.0.0.5:1"), expectModRevision: "0", why: "missing" }]);
    expect(plan.deletes).toEqual([]);
    expect(plan.registered).toBe(1);
  });

  it("does not rewrite an unchanged key on the current lease (no event for consumers)", () => {
    const plan = planSync({ desired: [desired("a", "10.0.0.5:1")], current: [kv("a", value("10.0.0.5:1"))], registratorId: ID, leaseId: LEASE });
    expect(plan.puts).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.registered).toBe(1);
  });

  it("rewrites a changed value and re-attaches keys of an old lease (restart, lost lease)", () => {
    const plan = planSync({
      desired: [desired("a", "10.0.0.5:2"), desired("b", "10.0.0.5:3")],
      current: [kv("a", value("10.0.0.5:1"), LEASE, "11"), kv("b", value("10.0.0.5:3"), "1234", "12")],
      registratorId: ID,
      leaseId: LEASE,
    });
    expect(plan.puts).toEqual([
      { key: key("a"), value: value("10.0.0.5:2"), expectModRevision: "11", why: "changed" },
      { key: key("b"), value: value("10.0.0.5:3"), expectModRevision: "12", why: "lease" },
    ]);
  });

  it("deletes its own stale keys, whatever lease they are on, and nothing else", () => {
    const current = [
      kv("gone", value("10.0.0.5:1"), "999", "20"),
      kv("hand", "10.0.0.9:49161", "0", "21"),
      kv("other-host", value("10.0.0.6:1", "backend-2"), "555", "22"),
      { key: "/switchyard/services/app/route", value: '{"hosts":["a.b.com"]}', lease: "0", modRevision: "23" },
    ];
    const plan = planSync({ desired: [], current, registratorId: ID, leaseId: LEASE });
    expect(plan.deletes).toEqual([{ key: key("gone"), expectModRevision: "20" }]);
    expect(plan.puts).toEqual([]);
  });

  it("never overwrites a foreign key at the path it wants: reports a conflict", () => {
    const plan = planSync({ desired: [desired("py2", "10.0.0.5:1")], current: [kv("py2", "10.0.0.9:49161", "0")], registratorId: ID, leaseId: LEASE });
    expect(plan.puts).toEqual([]);
    expect(plan.deletes).toEqual([]);
    expect(plan.conflicts).toHaveLength(1);
    expect(plan.conflicts[0].problem).toMatch(/did not write; left untouched/);
    expect(plan.registered).toBe(0);
  });

  it("registers one of two containers claiming the same endpoint, deterministically", () => {
    const plan = planSync({ desired: [desired("x", "10.0.0.5:2", "zeta"), desired("x", "10.0.0.5:1", "alpha")], current: [], registratorId: ID, leaseId: LEASE });
    expect(plan.puts.map((p) => p.value)).toEqual([value("10.0.0.5:1")]);
    expect(plan.conflicts.map((c) => c.containerName)).toEqual(["zeta"]);
  });
});

describe("planHandover", () => {
  it("moves only the keys this registrator owns on its own lease, unchanged and guarded by their revision", () => {
    const current: KeyState[] = [
      { key: key("a"), value: value("10.0.0.5:1"), lease: LEASE, modRevision: "11" },
      { key: key("b"), value: value("10.0.0.5:2"), lease: "999", modRevision: "12" },
      { key: key("c"), value: value("10.0.0.6:3", "backend-2"), lease: LEASE, modRevision: "13" },
      { key: key("d"), value: "10.0.0.7:4", lease: "0", modRevision: "14" },
    ];
    expect(planHandover(current, ID, LEASE)).toEqual([{ key: key("a"), value: value("10.0.0.5:1"), expectModRevision: "11", why: "lease" }]);
  });
});
