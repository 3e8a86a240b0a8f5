import { beforeAll, describe, expect, it } from "vitest";
import { loadSerializedProvider } from "../upstream/host";
import { UNKNOWN } from "../upstream/spec";
import { captureAccessProviderText } from "./testing";

describe("EtcdAccess provider serialization", () => {
  let text: string;
  beforeAll(async () => {
    text = await captureAccessProviderText();
  }, 60_000);

  it("is self-contained: no relative require, no client instance", () => {
    expect(text).toContain("exports.handler");
    expect(text).not.toMatch(/require\(["']\.\.?\//);
    expect(text).not.toContain("class Etcd3");
  });

  it("loaded like the host, check refuses a connection without the operator certificate and passes unknowns at preview", async () => {
    const provider = loadSerializedProvider(text);
    const plan = { roles: [], users: [{ name: "root", roles: ["root"] }] };
    const bad = await provider.check!({}, { connection: { endpoints: ["https://127.0.0.1:2379"], tls: { ca: "x" } }, plan });
    expect(bad.failures).toEqual([{ property: "connection", reason: expect.stringMatching(/root\) client certificate/) }]);
    const preview = await provider.check!({}, { connection: { endpoints: [UNKNOWN] }, plan });
    expect(preview.failures).toEqual([]);
    const d = await provider.diff!("etcd-access", { plan, connection: { endpoints: ["a"] } }, { plan: { ...plan, roles: [{ name: "r", grants: [] }] }, connection: { endpoints: ["a"] } });
    expect(d.changes).toBe(true);
    const same = await provider.diff!("etcd-access", { plan, connection: { endpoints: ["a"] } }, { plan, connection: { endpoints: ["a"] } });
    expect(same.changes).toBe(false);
  });
});
