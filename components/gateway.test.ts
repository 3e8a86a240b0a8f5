import { describe, expect, it } from "vitest";
import type { Host } from "../targets/host";
import { recordResources, value } from "../test/helpers/component-mocks";

const seen = recordResources();

describe("gatewayAgentArgs", () => {
  it("builds the agent's command line, with TLS files and the user template when given", async () => {
    const { gatewayAgentArgs } = await import("./gateway");
    const plain = gatewayAgentArgs({ kind: "haproxy", id: "sy-gw", etcd: { endpoints: ["http://proxy:2379"] }, root: "/switchyard", hasTemplate: false });
    expect(plain).toEqual(["--kind", "haproxy", "--id", "sy-gw", "--root", "/switchyard", "--etcd", "http://proxy:2379", "--listen", "0.0.0.0:8000", "--stats", "0.0.0.0:1936", "--metrics", "0.0.0.0:9100", "--user", "haproxy"]);
    const tls = gatewayAgentArgs({ kind: "nginx", id: "g", etcd: { endpoints: ["https://p:2379"], tls: { ca: "CA", cert: "C", key: "K" } }, root: "/r", hasTemplate: true, extraFlags: ["--quiet-ms", "10"] });
    expect(tls.join(" ")).toContain("--etcd-ca /etc/switchyard/etcd/ca.pem --etcd-cert /etc/switchyard/etcd/cert.pem --etcd-key /etc/switchyard/etcd/key.pem --template /etc/switchyard/gateway.hbs --quiet-ms 10");
  });
});

describe("Gateway (under mocks)", () => {
  it("declares the image and one container publishing the gateway and stats ports, and exports the URLs", async () => {
    const docker = await import("@pulumi/docker");
    const { Gateway } = await import("./gateway");
    const host: Host = {
      name: "local",
      roles: ["gateway"],
      provider: new docker.Provider("local-docker", {}),
      networkName: "switchyard-test",
      dial: (c, p) => ({ host: c, port: p }),
      registerAddress: "127.0.0.1",
      publish: (internal, exposure, external) => [{ internal, external: external ?? internal, ip: exposure === "public" ? "0.0.0.0" : "127.0.0.1" }],
      externalAddress: (e) => (e === "public" ? "localhost" : "127.0.0.1"),
    };
    const gw = new Gateway("gateway", { host, kind: "haproxy", prefix: "sy-test", etcd: { endpoints: ["http://sy-test-etcd-proxy:2379"] }, statsPort: 8888 });
    expect(await value(gw.url)).toBe("http://localhost:8000");
    // The stats page is for the operator only (127.0.0.1 on docker).
    expect(await value(gw.statsUrl)).toBe("http://127.0.0.1:8888/");
    await value(gw.container.id);
    const container = seen.find((r) => r.type === "docker:index/container:Container" && r.name === "gateway")!;
    expect(container.inputs.name).toBe("sy-test-gateway-haproxy");
    expect(container.inputs.ports).toEqual([
      { internal: 8000, external: 8000, ip: "0.0.0.0" },
      { internal: 1936, external: 8888, ip: "127.0.0.1" },
      { internal: 9100, external: 9100, ip: "127.0.0.1" },
    ]);
    expect(container.inputs.command).toContain("haproxy");
    // Least privilege: only what the proxy's master needs to run its workers as their own user.
    expect(container.inputs.capabilities).toEqual({ drops: ["ALL"], adds: ["CHOWN", "SETUID", "SETGID", "KILL"] });
    expect(container.inputs.securityOpts).toEqual(["no-new-privileges:true"]);
    expect(seen.some((r) => r.type === "docker:index/image:Image" && r.name === "gateway-image")).toBe(true);
  });
});
