import { describe, expect, it } from "vitest";
import { checkUpstream, conflictMessage, decideExisting, diffUpstream, foreignDeleteMessage, isUnknown, requireProps, UNKNOWN } from "./spec";

const connection = { endpoints: ["http://127.0.0.1:2379"] };
const base = { service: "app", endpoint: "v1-0", value: "10.0.0.5:49161", connection };

describe("checkUpstream", () => {
  it("fills defaults and derives the key from service and endpoint", () => {
    const { inputs, failures } = checkUpstream(base);
    expect(failures).toEqual([]);
    expect(inputs).toMatchObject({
      root: "/switchyard",
      key: "/switchyard/services/app/upstream/v1-0",
      gate: { enabled: true, timeoutMs: 120_000 },
      adopt: false,
    });
  });

  it("derives service and endpoint from a full key, and rejects contradictions", () => {
    const ok = checkUpstream({ key: "/sy/services/web/upstream/b-1", root: "/sy/", value: "h:1", connection });
    expect(ok.failures).toEqual([]);
    expect(ok.inputs).toMatchObject({ root: "/sy", service: "web", endpoint: "b-1" });
    const bad = checkUpstream({ key: "/sy/services/web/upstream/b-1", root: "/sy", service: "api", value: "h:1", connection });
    expect(bad.failures).toEqual([expect.objectContaining({ property: "service", reason: expect.stringContaining("contradicts key") })]);
    const outside = checkUpstream({ key: "/other/services/web/upstream/b-1", root: "/sy", value: "h:1", connection });
    expect(outside.failures[0]).toMatchObject({ property: "key" });
  });

  it("names each invalid field with a reason", () => {
    const { failures } = checkUpstream({
      service: "bad name",
      endpoint: "",
      root: "/",
      value: "no-port",
      connection: { endpoints: ["127.0.0.1:2379"] },
      gate: { enabled: "yes", timeoutMs: -1 },
      adopt: "sure",
    });
    const props = failures.map((f) => f.property).sort();
    expect(props).toEqual(["adopt", "connection", "endpoint", "gate", "gate", "root", "service", "value"]);
    const { failures: f2 } = checkUpstream({ ...base, service: "bad name", value: "no-port" });
    expect(f2.map((f) => f.property).sort()).toEqual(["service", "value"]);
    expect(f2.find((f) => f.property === "value")!.reason).toMatch(/not host:port/);
  });

  it("requires value, connection and a key or names", () => {
    const { failures } = checkUpstream({});
    expect(failures.map((f) => f.property).sort()).toEqual(["connection", "service", "value"]);
  });

  it("accepts JSON values and rejects malformed JSON", () => {
    expect(checkUpstream({ ...base, value: JSON.stringify({ addr: "h:80", version: "v2" }) }).failures).toEqual([]);
    expect(checkUpstream({ ...base, value: "{not json" }).failures[0].reason).toMatch(/neither host:port nor valid JSON/);
  });

  it("preview: unknown values pass through unvalidated and make the key unknown", () => {
    const { inputs, failures } = checkUpstream({ service: "app", endpoint: UNKNOWN, value: UNKNOWN, connection: { endpoints: [UNKNOWN] }, gate: UNKNOWN });
    expect(failures).toEqual([]);
    expect(inputs.key).toBe(UNKNOWN);
    expect(inputs.value).toBe(UNKNOWN);
    expect(isUnknown(inputs)).toBe(true);
    expect(() => requireProps({ service: "app", endpoint: UNKNOWN, value: "h:1", connection })).toThrow(/unknown/);
    expect(checkUpstream({ ...base, root: UNKNOWN }).inputs.key).toBe(UNKNOWN);
    expect(checkUpstream({ ...base, key: UNKNOWN }).failures).toEqual([]);
  });
});

describe("diffUpstream", () => {
  const olds = { ...checkUpstream(base).inputs, addr: "10.0.0.5:49161", revision: 7 };
  const news = (o: Record<string, unknown>) => checkUpstream({ ...base, ...o }).inputs;

  it("no change → no work", () => {
    expect(diffUpstream(olds, news({}))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
  });
  it("value change → update in place", () => {
    expect(diffUpstream(olds, news({ value: "10.0.0.6:1" }))).toMatchObject({ changes: true, replaces: [] });
  });
  it("key change (endpoint, service, root) → replace, new key first", () => {
    const d = diffUpstream(olds, news({ endpoint: "v2-0" }));
    expect(d.changes).toBe(true);
    expect(d.replaces).toEqual(expect.arrayContaining(["key", "endpoint"]));
    expect(d.deleteBeforeReplace).toBe(false);
    expect(diffUpstream(olds, news({ root: "/other" })).replaces).toContain("root");
  });
  it("settings change (connection, gate) → update without replace; key order does not matter", () => {
    expect(diffUpstream(olds, news({ gate: { timeoutMs: 5000 } }))).toMatchObject({ changes: true, replaces: [] });
    expect(diffUpstream(olds, news({ connection: { endpoints: ["http://127.0.0.1:2380"] } }))).toMatchObject({ changes: true, replaces: [] });
    const reordered = { ...news({}), gate: { timeoutMs: 120_000, enabled: true } };
    expect(diffUpstream(olds, reordered).changes).toBe(false);
  });
  it("preview: unknown value → update; unknown endpoint → replace; never throws", () => {
    expect(diffUpstream(olds, { ...news({}), value: UNKNOWN })).toMatchObject({ changes: true, replaces: [] });
    const d = diffUpstream(olds, checkUpstream({ ...base, endpoint: UNKNOWN }).inputs);
    expect(d.replaces).toEqual(expect.arrayContaining(["key", "endpoint"]));
    expect(() => diffUpstream({}, { connection: UNKNOWN })).not.toThrow();
  });
});

describe("ownership decisions", () => {
  const p = { key: "/switchyard/services/app/upstream/py2", value: "127.0.0.1:9000", adopt: false, connection };
  it("same value → adopt silently; adopt flag → take over; otherwise conflict naming the source", () => {
    expect(decideExisting(p, { value: "127.0.0.1:9000", modRevision: 3 })).toEqual({ action: "adopt-same" });
    expect(decideExisting({ ...p, adopt: true }, { value: "10.0.0.5:1", modRevision: 3 })).toEqual({ action: "take-over" });
    const d = decideExisting(p, { value: JSON.stringify({ addr: "10.0.0.5:1", source: "registrator@h1" }), modRevision: 3 });
    expect(d.action).toBe("conflict");
  });
  it("messages say what is there, who wrote it, and how to resolve", () => {
    const m = conflictMessage(p, { value: JSON.stringify({ addr: "10.0.0.5:1", source: "registrator@h1" }), modRevision: 3 });
    expect(m).toContain("source 'registrator@h1'");
    expect(m).toContain("adopt: true");
    expect(m).toContain("etcdctl --endpoints=http://127.0.0.1:2379 del /switchyard/services/app/upstream/py2");
    const d = foreignDeleteMessage(p, { value: "10.9.9.9:1", modRevision: 9 });
    expect(d).toMatch(/refusing to delete .*'10\.9\.9\.9:1'.*pulumi refresh/);
  });
});
