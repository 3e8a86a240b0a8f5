import { beforeAll, describe, expect, it } from "vitest";
import { loadSerializedProvider } from "../upstream/host";
import { captureRouteProviderText } from "./testing";

// Serialization under mocks, as for the Upstream: self-contained text that loads the way Pulumi's host loads it.
describe("Route provider serialization", () => {
  let text: string;
  beforeAll(async () => {
    text = await captureRouteProviderText();
  }, 60_000);

  it("produces a self-contained provider text (no relative require, no captured client)", () => {
    expect(text).toContain("exports.handler");
    expect(text).not.toMatch(/require\(["']\.\.?\//);
    expect(text).not.toContain("class Etcd3");
  });

  it("loaded like the host, runs check and diff", async () => {
    const provider = loadSerializedProvider(text);
    const ok = await provider.check!({}, { service: "a", hosts: ["a.b.com"], sticky: true, connection: { endpoints: ["http://127.0.0.1:2379"] } });
    expect(ok.failures).toEqual([]);
    expect(ok.inputs.key).toBe("/switchyard/services/a/route");
    const d = await provider.diff!("k", ok.inputs, { ...ok.inputs, value: '{"hosts":[],"default":true}' });
    expect(d).toMatchObject({ changes: true, replaces: [] });
  });
});
