import { describe, expect, it } from "vitest";
import { place, type MachineSpec } from "./placement";

const names = (...n: string[]) => n.map((name) => ({ name }));

describe("placement shared by the hosts and aws targets", () => {
  it("automatic: first host etcd, second gateway, the rest backends; members on etcd, then backend hosts", () => {
    expect(place(names("a", "b", "c", "d", "e"), 3, "hosts.machines")).toEqual({
      placement: {
        hosts: [
          { name: "a", roles: ["etcd"] },
          { name: "b", roles: ["gateway"] },
          { name: "c", roles: ["etcd", "backend"] },
          { name: "d", roles: ["etcd", "backend"] },
          { name: "e", roles: ["backend"] },
        ],
        etcdHosts: ["a", "c", "d"],
        gatewayHost: "b",
        backendHosts: ["c", "d", "e"],
      },
      problems: [],
    });
  });

  it("roles: members on the first hosts with etcd, in order; one gateway host; every backend host", () => {
    const { placement } = place([
      { name: "vm1", roles: ["etcd", "gateway"] },
      { name: "vm2", roles: ["etcd", "backend"] },
      { name: "vm3", roles: ["backend", "etcd"] },
    ], 3, "hosts.machines");
    expect(placement).toEqual({
      hosts: [{ name: "vm1", roles: ["etcd", "gateway"] }, { name: "vm2", roles: ["etcd", "backend"] }, { name: "vm3", roles: ["etcd", "backend"] }],
      etcdHosts: ["vm1", "vm2", "vm3"],
      gatewayHost: "vm1",
      backendHosts: ["vm2", "vm3"],
    });
    // More etcd hosts than members: the extra ones run no member, and their roles say so.
    expect(place([{ name: "a", roles: ["etcd", "gateway", "backend"] }, { name: "b", roles: ["etcd", "backend"] }], 1, "x").placement?.hosts)
      .toEqual([{ name: "a", roles: ["etcd", "gateway", "backend"] }, { name: "b", roles: ["backend"] }]);
  });

  it.each([
    ["fewer hosts than members need (automatic)", names("a", "b", "c"), 3, /hosts.machines: 3 etcd members need 3 distinct hosts with the role etcd, but 2 have it \(a, c\); add hosts or set etcd.members/],
    ["fewer hosts than automatic placement needs", names("a", "b"), 1, /lists 2 hosts; automatic placement needs at least 3/],
    ["fewer etcd hosts than members (roles)", [{ name: "a", roles: ["etcd", "gateway", "backend"] }], 3, /3 etcd members need 3 distinct hosts with the role etcd, but only 1 has it \(a\); add etcd to more hosts' roles/],
    ["a role nobody has", [{ name: "a", roles: ["etcd", "gateway"] }], 1, /no host has the role backend; add backend to the roles of one host/],
    ["two gateway hosts", [{ name: "a", roles: ["etcd", "gateway"] }, { name: "b", roles: ["gateway", "backend"] }], 1, /a, b all have the role gateway; a stack runs one gateway host/],
    ["roles on some hosts only", [{ name: "a", roles: ["etcd"] }, { name: "b" }], 1, /hosts.machines: b has no roles while other hosts have/],
  ] as [string, MachineSpec[], number, RegExp][])("refuses %s", (_what, machines, members, message) => {
    const r = place(machines, members, "hosts.machines");
    expect(r.placement).toBeUndefined();
    expect(r.problems.join("\n")).toMatch(message);
  });
});
