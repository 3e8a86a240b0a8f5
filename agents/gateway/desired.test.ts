import { describe, expect, it } from "vitest";
import { buildDesiredState } from "./desired";

const R = "/sy";
const kv = (key: string, value: string) => ({ key, value });

describe("buildDesiredState", () => {
  it("accepts plain host:port and JSON values, sorted and with health paths from value, route or default", () => {
    const d = buildDesiredState(R, [
      kv("/sy/services/app/upstream/py2", "10.0.0.5:49161"),
      kv("/sy/services/app/upstream/py1", JSON.stringify({ addr: "10.0.0.4:49160", version: "v1", healthPath: "/ready", weight: 3 })),
      kv("/sy/services/app/route", JSON.stringify({ hosts: ["A.b.com"], healthPath: "/healthz" })),
    ], 42, "/");
    expect(d.revision).toBe(42);
    expect(d.services).toHaveLength(1);
    const [app] = d.services;
    expect(app.hosts).toEqual(["a.b.com"]);
    expect(app.endpoints.map((e) => [e.id, e.addr, e.weight, e.healthPath])).toEqual([
      ["app/py1", "10.0.0.4:49160", 3, "/ready"],
      ["app/py2", "10.0.0.5:49161", 1, "/healthz"],
    ]);
    expect(d.warnings).toEqual([]);
  });

  it("skips garbage values, bad routes and foreign keys with warnings, keeping the rest", () => {
    const d = buildDesiredState(R, [
      kv("/sy/services/app/upstream/ok", "127.0.0.1:80"),
      kv("/sy/services/app/upstream/bad", "not an address"),
      kv("/sy/services/app/upstream/badjson", "{oops"),
      kv("/sy/services/web/route", "[1,2]"),
      kv("/sy/services/app/something/else", "x"),
    ], 1);
    expect(d.services.map((s) => [s.name, s.endpoints.length])).toEqual([["app", 1]]);
    expect(d.warnings.map((w) => w.key)).toEqual([
      "/sy/services/app/upstream/bad",
      "/sy/services/app/upstream/badjson",
      "/sy/services/web/route",
      "/sy/services/app/something/else",
    ]);
  });

  it("uses the single service as default when no route says otherwise (the source documents' one app)", () => {
    expect(buildDesiredState(R, [kv("/sy/services/app/upstream/a", "127.0.0.1:1")], 1).defaultService).toBe("app");
    const two = buildDesiredState(R, [kv("/sy/services/a/upstream/x", "127.0.0.1:1"), kv("/sy/services/b/upstream/x", "127.0.0.1:2")], 1);
    expect(two.defaultService).toBe("");
  });

  it("keeps one default and one owner per host, warning about the others", () => {
    const d = buildDesiredState(R, [
      kv("/sy/services/a/route", JSON.stringify({ hosts: ["x.com"], default: true })),
      kv("/sy/services/b/route", JSON.stringify({ hosts: ["x.com", "y.com"], default: true, sticky: true })),
    ], 1);
    expect(d.defaultService).toBe("a");
    expect(d.services.find((s) => s.name === "b")).toMatchObject({ hosts: ["y.com"], sticky: true });
    expect(d.warnings).toHaveLength(2);
  });
});
