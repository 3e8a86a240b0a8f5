import { describe, expect, it } from "vitest";
import { INTERNAL_PORT_MAX, INTERNAL_PORT_MIN, InternalPorts } from "./aws-ports";
import { awsPlacement } from "./aws";

describe("InternalPorts", () => {
  it("gives the same (container, port) the same host port on every run, inside the internal range", () => {
    const a = new InternalPorts().portFor("switchyard-dev-app-v1-backend-1-0", 8080);
    expect(new InternalPorts().portFor("switchyard-dev-app-v1-backend-1-0", 8080)).toBe(a);
    expect(a).toBeGreaterThanOrEqual(INTERNAL_PORT_MIN);
    expect(a).toBeLessThanOrEqual(INTERNAL_PORT_MAX);
  });
  it("gives blue and green containers (same port, other version) different host ports", () => {
    const ports = new InternalPorts();
    expect(ports.portFor("p-app-v1-backend-1-0", 8080)).not.toBe(ports.portFor("p-app-v2-backend-1-0", 8080));
  });
  it("never hands out one host port twice on a host, even when names collide in the hash", () => {
    const ports = new InternalPorts();
    const all = Array.from({ length: 2000 }, (_, i) => ports.portFor(`c-${i}`, 8080));
    expect(new Set(all).size).toBe(2000);
  });
});

describe("awsPlacement", () => {
  it("puts etcd members on etcd, backend-1, backend-2 and roles on the hosts", () => {
    expect(awsPlacement(2, 3)).toEqual({
      hosts: [
        { name: "etcd", roles: ["etcd"] },
        { name: "gateway", roles: ["gateway"] },
        { name: "backend-1", roles: ["etcd", "backend"] },
        { name: "backend-2", roles: ["etcd", "backend"] },
      ],
      etcdHosts: ["etcd", "backend-1", "backend-2"],
      gatewayHost: "gateway",
      backendHosts: ["backend-1", "backend-2"],
    });
    expect(awsPlacement(3, 1).etcdHosts).toEqual(["etcd"]);
  });
  it("refuses more members than distinct hosts", () => {
    expect(() => awsPlacement(1, 3)).toThrow(/aws.backendHosts: 3 etcd members need 3 distinct hosts with the role etcd, but 2 have it \(etcd, backend-1\)/);
  });
});
