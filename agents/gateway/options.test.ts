import { describe, expect, it } from "vitest";
import { buildCommand, settingsFromFlags } from "./options";

const parse = (argv: string[]) => buildCommand().exitOverride().parse(["node", "gw", ...argv]).opts();

describe("gateway command line", () => {
  it("turns flags into settings with defaults", () => {
    const s = settingsFromFlags(parse(["--kind", "haproxy", "--id", "gw1", "--work-dir", "/tmp/x", "--listen", "127.0.0.1:8000", "--stats", "127.0.0.1:8888"]), () => "", false);
    expect(s.kind).toBe("haproxy");
    expect(s.agent).toMatchObject({ id: "gw1", root: "/switchyard", quietMs: 20, maxWaitMs: 200 });
    expect(s.render).toMatchObject({ workDir: "/tmp/x", listenPort: 8000, statsPort: 8888 });
    expect(s.render.user).toBeUndefined();
    expect(s.etcd.endpoints).toEqual(["http://127.0.0.1:2379"]);
  });
  it("names the flag in errors", () => {
    expect(() => settingsFromFlags(parse(["--kind", "nginx", "--id", "g", "--listen", "nope"]), () => "", false)).toThrow(/--listen/);
    expect(() => settingsFromFlags(parse(["--kind", "nginx", "--id", "g", "--quiet-ms", "500", "--max-wait-ms", "100"]), () => "", false)).toThrow(/--max-wait-ms/);
    expect(() => settingsFromFlags(parse(["--kind", "nginx", "--id", "g", "--etcd", "localhost"]), () => "", false)).toThrow(/--etcd/);
    expect(() => settingsFromFlags(parse(["--kind", "nginx", "--id", "bad id"]), () => "", false)).toThrow(/--id/);
  });
  it("rejects an unknown proxy kind", () => {
    // commander's own refusal, naming the flag, the value and the allowed choices (not any error at all).
    expect(() => parse(["--kind", "envoy"])).toThrow(/--kind.*'envoy' is invalid.*nginx, haproxy/);
  });
});
