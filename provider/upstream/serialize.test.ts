import * as pulumi from "@pulumi/pulumi";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadSerializedProvider } from "./host";
import { captureProviderText } from "./testing";
import { UNKNOWN } from "./spec";

// Serialization under mocks: the `__provider` input must be produced without error, be self-contained (no
// relative requires, no captured clients), and load the way Pulumi's dynamic-provider host loads it.
describe("Upstream provider serialization", () => {
  let text: string;
  beforeAll(async () => {
    text = await captureProviderText();
  }, 60_000);
  afterAll(() => undefined);

  it("produces a provider text with a handler", () => {
    expect(text).toContain("exports.handler");
    expect(text.length).toBeGreaterThan(1000);
  });

  it("captures no relative require and no etcd client instance", () => {
    expect(text).not.toMatch(/require\(["']\.\.?\//);
    expect(text).not.toMatch(/__vite_ssr_import/);
    expect(text).not.toContain("class Etcd3");
  });

  it("loaded like the host, runs check and diff (including preview unknowns)", async () => {
    const provider = loadSerializedProvider(text);
    const ok = await provider.check!({}, { service: "app", endpoint: "v1-0", value: "127.0.0.1:8080", connection: { endpoints: ["http://127.0.0.1:2379"] } });
    expect(ok.failures).toEqual([]);
    expect(ok.inputs.key).toBe("/switchyard/services/app/upstream/v1-0");
    const unknown = await provider.check!({}, { service: "app", endpoint: UNKNOWN, value: UNKNOWN, connection: { endpoints: [UNKNOWN] } });
    expect(unknown.failures).toEqual([]);
    expect(unknown.inputs.key).toBe(UNKNOWN);
    const d = await provider.diff!("k", { ...ok.inputs }, { ...ok.inputs, value: UNKNOWN });
    expect(d.changes).toBe(true);
    expect(d.replaces).toEqual([]);
  });
});

void pulumi;
