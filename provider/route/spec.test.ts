import { describe, expect, it } from "vitest";
import { conflictMessage } from "../etcd-key/spec";
import { checkRoute, diffRoute, requireRouteProps, ROUTE_OWNER } from "./spec";
import { UNKNOWN } from "../etcd-key/spec";

const connection = { endpoints: ["http://127.0.0.1:2379"] };

describe("checkRoute", () => {
  it("derives the key and the value the gateways read, hosts lower-cased, deduplicated and sorted", () => {
    const { inputs, failures } = checkRoute({ service: "a", hosts: ["www.A.b.com", "a.b.com", "a.b.com"], sticky: true, connection });
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({ root: "/switchyard", key: "/switchyard/services/a/route", hosts: ["a.b.com", "www.a.b.com"], default: false, sticky: true, adopt: false, gate: { enabled: true, timeoutMs: 120_000 } });
    expect(JSON.parse(inputs.value as string)).toEqual({ hosts: ["a.b.com", "www.a.b.com"], default: false, sticky: true, source: "pulumi" });
  });

  it("names each invalid field", () => {
    const { failures } = checkRoute({ service: "bad name", hosts: ["not a host"], default: "yes", connection: { endpoints: ["127.0.0.1:2379"] } });
    expect(failures.map((f) => f.property).sort()).toEqual(["connection", "default", "hosts", "service"]);
    expect(failures.find((f) => f.property === "hosts")!.reason).toMatch(/'not a host' is not a host name/);
    expect(() => requireRouteProps({ service: "a", hosts: ["x y"], connection })).toThrow(/invalid Route inputs: hosts/);
  });

  it("preview: an unknown host makes the value unknown, not a failure", () => {
    const { inputs, failures } = checkRoute({ service: "a", hosts: [UNKNOWN], connection });
    expect(failures).toEqual([]);
    expect(inputs.key).toBe("/switchyard/services/a/route");
    expect(inputs.value).toBe(UNKNOWN);
  });
});

describe("diffRoute", () => {
  const olds = checkRoute({ service: "a", hosts: ["a.b.com"], connection }).inputs;
  it("same route → no change; other hosts, default or sticky → update in place; other service → replace", () => {
    expect(diffRoute(olds, checkRoute({ service: "a", hosts: ["A.b.com"], connection }).inputs)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    for (const change of [{ hosts: ["c.b.com"] }, { default: true }, { sticky: true }]) {
      expect(diffRoute(olds, checkRoute({ service: "a", hosts: ["a.b.com"], connection, ...change }).inputs)).toMatchObject({ changes: true, replaces: [] });
    }
    expect(diffRoute(olds, checkRoute({ service: "b", hosts: ["a.b.com"], connection }).inputs).replaces).toEqual(["key", "service"]);
  });
});

describe("ownership messages of a Route", () => {
  it("a hand-written route: says what is there and how to adopt it from switchyard's config", () => {
    const m = conflictMessage({ key: "/switchyard/services/a/route", value: '{"hosts":["a.b.com"]}', connection }, { value: '{"hosts":["x.b.com"]}', modRevision: 7 }, ROUTE_OWNER);
    expect(m).toContain("which this Route did not write");
    expect(m).toContain("adoptRoute: true");
    expect(m).toContain("etcdctl --endpoints=http://127.0.0.1:2379 del /switchyard/services/a/route");
  });
});
