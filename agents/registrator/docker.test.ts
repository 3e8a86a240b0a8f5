import { describe, expect, it } from "vitest";
import { dockerOptions, eventEffect, eventVerb } from "./docker";

describe("Docker event effects", () => {
  it("treats a terminating kill as going away, other signals (reloads) as nothing", () => {
    expect(eventEffect("kill", { signal: "15" })).toBe("down");
    expect(eventEffect("kill", { signal: "9" })).toBe("down");
    expect(eventEffect("kill", { signal: "1" })).toBe("none");
    expect(eventEffect("kill", {})).toBe("none");
  });

  it("maps lifecycle and health actions", () => {
    for (const a of ["die", "stop", "destroy", "pause", "oom"]) expect(eventEffect(a)).toBe("down");
    for (const a of ["start", "restart", "unpause"]) expect(eventEffect(a)).toBe("up");
    expect(eventEffect("health_status: unhealthy")).toBe("unhealthy");
    expect(eventEffect("health_status: healthy")).toBe("healthy");
    expect(eventEffect("exec_start: sh -c true")).toBe("none");
    expect(eventVerb("health_status: healthy")).toBe("health_status");
  });
});

describe("dockerOptions", () => {
  it("understands unix sockets and tcp addresses", () => {
    expect(dockerOptions("unix:///var/run/docker.sock")).toEqual({ socketPath: "/var/run/docker.sock" });
    expect(dockerOptions("/tmp/d.sock", 5000)).toEqual({ socketPath: "/tmp/d.sock", timeout: 5000 });
    expect(dockerOptions("tcp://10.0.0.5:2375")).toEqual({ host: "10.0.0.5", port: 2375, protocol: "http" });
    expect(() => dockerOptions("ssh://host")).toThrow(/unix:\/\/\/path or tcp:\/\/host:port/);
  });
});
