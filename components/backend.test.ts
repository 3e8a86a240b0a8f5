import { describe, expect, it } from "vitest";
import type { Host } from "../targets/host";
import { recordResources, value, waitForRegistrations } from "../test/helpers/component-mocks";

const seen = recordResources();

async function fakeHost(name: string): Promise<Host> {
  const docker = await import("@pulumi/docker");
  return {
    name,
    roles: ["backend"],
    provider: new docker.Provider(`${name}-docker`, {}),
    networkName: "switchyard-test",
    dial: (container, port) => ({ host: `${name}.internal`, port: port + container.length }),
    registerAddress: "10.0.0.1",
    publish: () => [],
    externalAddress: () => "127.0.0.1",
  };
}

describe("backendReplicas", () => {
  it("names each replica with the version and the host, and refuses names Docker would", async () => {
    const { backendReplicas } = await import("./backend");
    const hosts = [await fakeHost("h1"), await fakeHost("h2")];
    const r = backendReplicas("app", { prefix: "sy-dev", service: "app", version: "v2", hosts, replicas: 2 });
    expect(r.map((x) => x.containerName)).toEqual(["sy-dev-app-v2-h1-0", "sy-dev-app-v2-h1-1", "sy-dev-app-v2-h2-0", "sy-dev-app-v2-h2-1"]);
    expect(r.map((x) => x.resourceName)).toEqual(["app-v2-h1-0", "app-v2-h1-1", "app-v2-h2-0", "app-v2-h2-1"]);
    expect(() => backendReplicas("app", { prefix: "p", service: "app", version: "v 1", hosts })).toThrow(/version "v 1"/);
    expect(() => backendReplicas("app", { prefix: "p", service: "app", version: "v1", hosts, replicas: 0 })).toThrow(/replicas/);
  });
});

describe("Backend (under mocks)", () => {
  it("declares one container per replica and one Upstream per container", async () => {
    const { Backend, DEMO_HEALTH_COMMAND } = await import("./backend");
    const host = await fakeHost("local");
    const b = new Backend("app", {
      service: "app",
      version: "v1",
      replicas: 2,
      hosts: [host],
      prefix: "sy-test",
      envs: ["FAIL_HEALTH=1"],
      labels: { team: "blue" },
      upstream: { connection: { endpoints: ["http://127.0.0.1:2379"] }, gate: { timeoutMs: 5000 } },
    });
    expect(await value(b.containers[1].address)).toBe("local.internal:" + (8080 + "sy-test-app-v1-local-1".length));
    const upstreamValue = JSON.parse(await value(b.containers[0].upstream!.value));
    expect(upstreamValue).toMatchObject({ version: "v1", container: "sy-test-app-v1-local-0", healthPath: "/healthz", source: "pulumi" });

    const containers = seen.filter((s) => s.type === "docker:index/container:Container");
    expect(containers.map((c) => c.inputs.name)).toEqual(["sy-test-app-v1-local-0", "sy-test-app-v1-local-1"]);
    const c0 = containers[0].inputs;
    expect(c0.envs).toEqual(expect.arrayContaining(["VERSION=v1", "CONTAINER_NAME=sy-test-app-v1-local-0", "PORT=8080", "FAIL_HEALTH=1"]));
    expect(c0.healthcheck.tests).toEqual(DEMO_HEALTH_COMMAND);
    expect(c0.restart).toBe("unless-stopped");
    expect(c0.destroyGraceSeconds).toBe(10);
    // Registered by their Upstream, never by the registrator's label as well.
    expect(c0.labels.map((l: { label: string }) => l.label)).not.toContain("switchyard.service");
    expect(c0.labels).toContainEqual({ label: "team", value: "blue" });
    expect(c0.image).toMatch(/^sy-test-backend:[0-9a-f]{12}$/);

    const upstreams = seen.filter((s) => s.type === "pulumi-nodejs:dynamic/switchyard:Upstream");
    expect(upstreams.map((u) => u.name)).toEqual(["app-v1-local-0-upstream", "app-v1-local-1-upstream"]);
    const images = seen.filter((s) => s.type === "docker:index/image:Image");
    expect(images.map((i) => i.name)).toEqual(["app-image-local"]);
    expect(images[0].inputs.build.args).toEqual({ BASE_IMAGE: "debian:bookworm-slim" });
  });

  it("runs any HTTP image instead of the demo one, without the demo healthcheck", async () => {
    const { Backend } = await import("./backend");
    seen.length = 0;
    const web = new Backend("web", { service: "web", version: "v7", replicas: 1, hosts: [await fakeHost("local")], prefix: "sy-test", image: "nginx:1.22", port: 80 });
    // Registered, and nothing else still on its way to the mock monitor (the SDK's count of RPCs in flight).
    await value(web.containers[0].container.id);
    await waitForRegistrations();
    const c = seen.find((s) => s.type === "docker:index/container:Container")!;
    expect(c.inputs).toMatchObject({ name: "sy-test-web-v7-local-0", image: "nginx:1.22" });
    expect(c.inputs.healthcheck).toBeUndefined();
    expect(seen.some((s) => s.type === "docker:index/image:Image" || s.type.startsWith("pulumi-nodejs:dynamic"))).toBe(false);
  });
});
