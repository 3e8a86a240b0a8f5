import { describe, expect, it } from "vitest";
import { parseUpstreamValue } from "../../lib/etcd/keys";
import { factsFromInspect, labelNames, registrationFor, type ContainerFacts, type RegistrationSettings } from "./labels";

const settings: RegistrationSettings = { root: "/switchyard", registratorId: "backend-1", hostIp: "10.0.0.5", labels: labelNames() };

function container(over: Partial<ContainerFacts> = {}): ContainerFacts {
  return {
    id: "abc123",
    name: "whoami-2",
    image: "jwilder/whoami",
    labels: { "switchyard.service": "app" },
    running: true,
    health: "none",
    ports: [{ containerPort: 8000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 49156 }],
    ...over,
  };
}

describe("factsFromInspect", () => {
  it("reads name, image, labels, state, health and published ports", () => {
    const f = factsFromInspect({
      Id: "abc",
      Name: "/whoami",
      Config: { Image: "jwilder/whoami", Labels: { "switchyard.service": "app" } },
      State: { Running: true, Paused: false, Restarting: false, Health: { Status: "healthy" } },
      NetworkSettings: { Ports: { "8000/tcp": [{ HostIp: "0.0.0.0", HostPort: "49153" }, { HostIp: "::", HostPort: "49153" }], "9000/udp": null, "7000/tcp": null } },
    });
    expect(f).toEqual({
      id: "abc",
      name: "whoami",
      image: "jwilder/whoami",
      labels: { "switchyard.service": "app" },
      running: true,
      health: "healthy",
      ports: [
        { containerPort: 8000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 49153 },
        { containerPort: 8000, protocol: "tcp", hostIp: "::", hostPort: 49153 },
      ],
    });
  });

  it("treats paused and restarting containers as not running, and no healthcheck as 'none'", () => {
    const base = { Id: "a", Name: "/a", Config: { Image: "i", Labels: null }, NetworkSettings: { Ports: null } };
    expect(factsFromInspect({ ...base, State: { Running: true, Paused: true, Restarting: false } }).running).toBe(false);
    expect(factsFromInspect({ ...base, State: { Running: true, Paused: false, Restarting: true } }).running).toBe(false);
    const f = factsFromInspect({ ...base, State: { Running: true, Paused: false, Restarting: false, Health: null } });
    expect(f.health).toBe("none");
    expect(f.labels).toEqual({});
  });
});

describe("registrationFor", () => {
  it("registers HOST_IP and the published port (not the binding's 0.0.0.0) with registrator metadata", () => {
    const d = registrationFor(container({ labels: { "switchyard.service": "app", "switchyard.version": "v2" } }), settings);
    expect(d.kind).toBe("register");
    if (d.kind !== "register") return;
    expect(d.registration.key).toBe("/switchyard/services/app/upstream/backend-1-whoami-2");
    expect(d.registration.addr).toBe("10.0.0.5:49156");
    const v = parseUpstreamValue(d.registration.value);
    expect(v).toMatchObject({ addr: "10.0.0.5:49156", meta: { source: "registrator", registrator: "backend-1", host: "10.0.0.5", container: "whoami-2", image: "jwilder/whoami", version: "v2" } });
  });

  it("ignores containers without the service label", () => {
    expect(registrationFor(container({ labels: {} }), settings)).toEqual({ kind: "ignored" });
  });

  it("waits for health: starting and unhealthy are inactive, healthy registers", () => {
    expect(registrationFor(container({ health: "starting" }), settings).kind).toBe("inactive");
    expect(registrationFor(container({ health: "unhealthy" }), settings).kind).toBe("inactive");
    expect(registrationFor(container({ health: "healthy" }), settings).kind).toBe("register");
    expect(registrationFor(container({ running: false }), settings).kind).toBe("inactive");
  });

  it("picks the port named by the port label among several, and explains a missing choice", () => {
    const ports = [
      { containerPort: 8000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 40000 },
      { containerPort: 9000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 40001 },
    ];
    const several = registrationFor(container({ ports }), settings);
    expect(several).toMatchObject({ kind: "invalid" });
    expect((several as { problem: string }).problem).toMatch(/several ports \(8000, 9000\).*switchyard\.port/);
    const picked = registrationFor(container({ ports, labels: { "switchyard.service": "app", "switchyard.port": "9000/tcp" } }), settings);
    expect(picked.kind === "register" && picked.registration.addr).toBe("10.0.0.5:40001");
    const unpublished = registrationFor(container({ ports, labels: { "switchyard.service": "app", "switchyard.port": "7000" } }), settings);
    expect((unpublished as { problem: string }).problem).toMatch(/7000\/tcp is not published/);
    expect(registrationFor(container({ ports: [] }), settings)).toMatchObject({ kind: "invalid", problem: expect.stringMatching(/no TCP port/) });
  });

  it("ignores UDP ports when choosing", () => {
    const d = registrationFor(container({ ports: [
      { containerPort: 53, protocol: "udp", hostIp: "0.0.0.0", hostPort: 40053 },
      { containerPort: 8000, protocol: "tcp", hostIp: "0.0.0.0", hostPort: 40000 },
    ] }), settings);
    expect(d.kind === "register" && d.registration.addr).toBe("10.0.0.5:40000");
  });

  it("honours the endpoint, weight and health-path labels and rejects bad values", () => {
    const labels = { "switchyard.service": "app", "switchyard.endpoint": "py2", "switchyard.weight": "5", "switchyard.health-path": "/health" };
    const d = registrationFor(container({ labels }), settings);
    expect(d.kind === "register" && d.registration.key).toBe("/switchyard/services/app/upstream/py2");
    expect(d.kind === "register" && parseUpstreamValue(d.registration.value)).toMatchObject({ meta: { weight: 5, healthPath: "/health" } });
    expect(registrationFor(container({ labels: { ...labels, "switchyard.weight": "x" } }), settings).kind).toBe("invalid");
    expect(registrationFor(container({ labels: { ...labels, "switchyard.health-path": "health" } }), settings).kind).toBe("invalid");
    expect(registrationFor(container({ labels: { "switchyard.service": "bad/name" } }), settings).kind).toBe("invalid");
    expect(registrationFor(container({ labels: { "switchyard.service": "app", "switchyard.endpoint": "a b" } }), settings).kind).toBe("invalid");
  });

  it("brackets an IPv6 HOST_IP", () => {
    const d = registrationFor(container(), { ...settings, hostIp: "fd00::2" });
    expect(d.kind === "register" && d.registration.addr).toBe("[fd00::2]:49156");
  });

  it("uses a custom label prefix", () => {
    const d = registrationFor(container({ labels: { "acme.service": "app" } }), { ...settings, labels: labelNames("acme") });
    expect(d.kind).toBe("register");
  });
});
