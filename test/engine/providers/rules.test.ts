import { describe, expect, it } from "vitest";
import { goDuration, readBackContainer } from "../../harness/realize/container-spec";
import { CONTAINER_DEFAULTS, CONTAINER_RULES, diffByRules, sameValue, UNKNOWN, unknownKeys } from "./rules";
import { keepSecrets, reveal, secret } from "./secrets";
import { readyForRenewal } from "./tls";

const ports = new Set(["external"]);
const state = (over: Record<string, unknown> = {}) => ({
  ...CONTAINER_DEFAULTS, name: "c", image: "img:1", envs: ["A=1"], ports: [{ internal: 80, external: 8080, ip: "0.0.0.0", protocol: "tcp" }],
  logDriver: "json-file", logOpts: {}, hostname: "abc", init: false, healthcheck: { tests: ["CMD", "true"], interval: "2s", timeout: "0s", startPeriod: "0s", startInterval: "0s", retries: 3 },
  ...over,
});
const declared = (over: Record<string, unknown> = {}) => ({
  ...CONTAINER_DEFAULTS, name: "c", image: "img:1", envs: ["A=1"], ports: [{ internal: 80, external: 8080 }],
  healthcheck: { tests: ["CMD", "true"], interval: "2s", retries: 3 }, ...over,
});

describe("docker_container rules (terraform-provider-docker v3.9.0 schema)", () => {
  it("what the provider fills in (defaults, computed, nested ip/protocol) is no change", () => {
    expect(diffByRules(CONTAINER_RULES, state(), declared(), ports)).toEqual({ changed: [], replaces: [] });
  });

  it("a ForceNew input replaces; restart, healthcheck, destroyGraceSeconds, init, mustRun, wait update in place", () => {
    expect(diffByRules(CONTAINER_RULES, state(), declared({ image: "img:2" }), ports).replaces).toEqual(["image"]);
    expect(diffByRules(CONTAINER_RULES, state(), declared({ envs: ["A=2"] }), ports).replaces).toEqual(["envs"]);
    for (const over of [{ restart: "unless-stopped" }, { destroyGraceSeconds: 10 }, { init: true }, { mustRun: false }, { wait: true },
      { healthcheck: { tests: ["CMD", "false"], interval: "2s", retries: 3 } }]) {
      const d = diffByRules(CONTAINER_RULES, state(), declared(over), ports);
      expect(d.changed).toEqual(Object.keys(over));
      expect(d.replaces).toEqual([]);
    }
  });

  it("log options the daemon filled in replace a container that declares none (terraform-provider-docker#873)", () => {
    const fromDaemon = state({ logOpts: { "max-size": "10m", "max-file": "3" } });
    expect(diffByRules(CONTAINER_RULES, fromDaemon, declared(), ports).replaces).toEqual(["logOpts"]);
    // Declaring them (as the program does) leaves nothing to replace.
    expect(diffByRules(CONTAINER_RULES, fromDaemon, declared({ logDriver: "json-file", logOpts: { "max-size": "10m", "max-file": "3" } }), ports).replaces).toEqual([]);
  });

  it("an unknown value (preview) is a change; a declared duration not in Go's form is one too", () => {
    expect(diffByRules(CONTAINER_RULES, state(), declared({ image: UNKNOWN }), ports).replaces).toEqual(["image"]);
    expect(sameValue("1m0s", "60s")).toBe(false);
    expect(unknownKeys(CONTAINER_RULES, { name: "x", bogus: 1, __provider: "p" })).toEqual(["bogus"]);
  });

  it("reads back what the daemon reports: log config, restart, init, healthcheck durations as Go prints them", () => {
    const info = {
      Name: "/c", Config: { Hostname: "h", Healthcheck: { Test: ["CMD", "true"], Interval: 90e9, Timeout: 5e8, Retries: 3 } },
      HostConfig: { LogConfig: { Type: "json-file", Config: { "max-size": "10m" } }, RestartPolicy: { Name: "", MaximumRetryCount: 0 }, Init: null, NetworkMode: "bridge" },
    };
    expect(readBackContainer(info as never)).toEqual({
      name: "c", hostname: "h", logDriver: "json-file", logOpts: { "max-size": "10m" }, restart: "no", maxRetryCount: 0, init: false, networkMode: "bridge",
      healthcheck: { tests: ["CMD", "true"], interval: "1m30s", timeout: "500ms", startPeriod: "0s", startInterval: "0s", retries: 3 },
    });
    expect([goDuration(0), goDuration(2e9), goDuration(3600e9), goDuration(1500)]).toEqual(["0s", "2s", "1h0m0s", "1.5µs"]);
  });
});

describe("secrets across the provider protocol", () => {
  it("are revealed for realization and kept secret in the outputs", () => {
    const inputs = { key: secret("pem"), name: "n" };
    expect(reveal(inputs)).toEqual({ key: "pem", name: "n" });
    expect(keepSecrets(inputs, { key: "pem", name: "n", made: "x" }, ["made"])).toEqual({ key: secret("pem"), name: "n", made: secret("x") });
  });
});

describe("tls early renewal (terraform-provider-tls common_cert.go)", () => {
  it("is due once validity end minus earlyRenewalHours has passed", () => {
    const end = "2030-01-02T00:00:00Z";
    expect(readyForRenewal(end, 0, Date.parse("2030-01-01T00:00:00Z"))).toBe(false);
    expect(readyForRenewal(end, 24, Date.parse("2030-01-01T00:00:00Z"))).toBe(true);
    expect(readyForRenewal(undefined, 24)).toBe(false);
  });
});
