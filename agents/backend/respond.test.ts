import { describe, expect, it } from "vitest";
import { reply, settingsFromEnv } from "./respond";

const settings = settingsFromEnv({ VERSION: "v2", CONTAINER_NAME: "sy-app-v2-local-0" }, "abc123");

describe("settingsFromEnv", () => {
  it("defaults and validates", () => {
    expect(settingsFromEnv({}, "host1")).toMatchObject({ version: "dev", container: "host1", port: 8080, healthPath: "/healthz", failHealth: false });
    expect(settingsFromEnv({ FAIL_HEALTH: "1" }, "h").failHealth).toBe(true);
    expect(() => settingsFromEnv({ PORT: "http" }, "h")).toThrow(/PORT/);
    expect(() => settingsFromEnv({ HEALTH_PATH: "healthz" }, "h")).toThrow(/HEALTH_PATH/);
  });
});

describe("reply", () => {
  it("answers its version and container name", () => {
    const r = reply(settings, "GET", "/", false);
    expect(r).toMatchObject({ status: 200, body: "v2 sy-app-v2-local-0\n", delayMs: 0 });
    expect(r.headers["x-backend-version"]).toBe("v2");
  });
  it("is healthy unless told to fail or draining", () => {
    expect(reply(settings, "GET", "/healthz", false).status).toBe(200);
    expect(reply({ ...settings, failHealth: true }, "GET", "/healthz", false).status).toBe(503);
    expect(reply(settings, "GET", "/healthz", true).status).toBe(503);
    // A draining backend still answers ordinary requests: in-flight and late ones must not fail.
    expect(reply(settings, "GET", "/", true).status).toBe(200);
  });
  it("holds a request for ?delay= (bounded) and refuses other methods", () => {
    expect(reply(settings, "GET", "/?delay=250", false).delayMs).toBe(250);
    expect(reply(settings, "GET", "/?delay=999999", false).delayMs).toBe(30_000);
    expect(reply(settings, "POST", "/", false).status).toBe(405);
  });
});
