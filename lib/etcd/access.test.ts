import { describe, expect, it } from "vitest";
import { accessPlan, accessPlanProblems, grantRange } from "./access";

describe("accessPlan", () => {
  const plan = accessPlan({ root: "/sy", gateways: ["gw-b", "gw-a"], registrators: ["h1", "h2"] });

  it("root is the operator; each gateway reads services and writes only its own status; registrators write services", () => {
    expect(plan.users).toEqual([
      { name: "root", roles: ["root"] },
      { name: "gateway-gw-a", roles: ["switchyard-gateway-gw-a"] },
      { name: "gateway-gw-b", roles: ["switchyard-gateway-gw-b"] },
      { name: "registrator-h1", roles: ["switchyard-registrator"] },
      { name: "registrator-h2", roles: ["switchyard-registrator"] },
    ]);
    expect(plan.roles.find((r) => r.name === "switchyard-gateway-gw-a")!.grants).toEqual([
      { permission: "Read", prefix: "/sy/services/" },
      { permission: "Readwrite", key: "/sy/gateways/gw-a" },
      { permission: "Readwrite", prefix: "/sy/gateway-endpoints/gw-a/" },
    ]);
    expect(plan.roles.find((r) => r.name === "switchyard-registrator")!.grants).toEqual([{ permission: "Readwrite", prefix: "/sy/services/" }]);
    expect(accessPlanProblems(plan)).toEqual([]);
  });

  it("a prefix grant covers exactly the prefix: [p, p with its last byte + 1)", () => {
    expect(grantRange({ permission: "Read", prefix: "/sy/services/" })).toEqual({ start: "/sy/services/", end: "/sy/services0" });
    expect(grantRange({ permission: "Read", key: "/sy/gateways/a" })).toEqual({ start: "/sy/gateways/a", end: "" });
  });

  it("reports a plan etcd would refuse", () => {
    expect(accessPlanProblems({ roles: [], users: [{ name: "gateway-x", roles: ["nope"] }] })).toEqual([
      "user 'gateway-x' has unknown role 'nope'",
      "the plan needs the root user with role root (etcd refuses auth enable without it)",
    ]);
  });
});
