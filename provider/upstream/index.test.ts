import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";

const seen: pulumi.runtime.MockResourceArgs[] = [];

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        seen.push(args);
        return { id: `${args.name}-id`, state: { ...args.inputs, key: `/switchyard/services/${args.inputs.service}/upstream/${args.inputs.endpoint}` } };
      },
      call: (args) => args.inputs,
    },
    "switchyard",
    "test",
    false,
  );
});

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("Upstream resource and upstreamForContainer (under mocks)", () => {
  it("registers under the switchyard module with the serialized provider and the declared inputs", async () => {
    const { Upstream, UPSTREAM_TYPE } = await import("./index");
    const u = new Upstream("app-v1-0", { service: "app", endpoint: "v1-0", value: "10.0.0.5:80", connection: { endpoints: ["http://127.0.0.1:2379"] } });
    expect(await value(u.key)).toBe("/switchyard/services/app/upstream/v1-0");
    const reg = seen.find((s) => s.name === "app-v1-0")!;
    expect(reg.type).toBe(UPSTREAM_TYPE);
    expect(UPSTREAM_TYPE).toBe("pulumi-nodejs:dynamic/switchyard:Upstream");
    expect(typeof reg.inputs.__provider).toBe("string");
    expect(reg.inputs).toMatchObject({ service: "app", endpoint: "v1-0", value: "10.0.0.5:80" });
  });

  it("upstreamForContainer: one line per container; the value is JSON with the address from an Output and source 'pulumi'", async () => {
    const { upstreamForContainer } = await import("./index");
    const addr = pulumi.output("172.17.0.9:8080");
    const u = upstreamForContainer("web-v2-0", {
      service: "web",
      endpoint: "web-v2-0",
      addr,
      meta: { version: "v2", container: "web-v2-0" },
      connection: { endpoints: ["http://127.0.0.1:2379"] },
      gate: { timeoutMs: 30_000 },
    });
    const v = JSON.parse(await value(u.value));
    expect(v).toEqual({ addr: "172.17.0.9:8080", source: "pulumi", version: "v2", container: "web-v2-0" });
    const reg = seen.find((s) => s.name === "web-v2-0")!;
    expect(reg.inputs.gate).toEqual({ timeoutMs: 30_000 });
  });
});
