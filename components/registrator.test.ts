import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Host } from "../targets/host";
import { recordResources, value, unsecret } from "../test/helpers/component-mocks";

const seen = recordResources();

describe("registratorEnv", () => {
  it("configures the agent through its documented variables, TLS files and user but never the password", async () => {
    const { registratorEnv } = await import("./registrator");
    expect(registratorEnv({ hostIp: "10.0.1.5", id: "backend-1", etcd: { endpoints: ["http://proxy:2379"] }, root: "/switchyard" })).toEqual([
      "HOST_IP=10.0.1.5",
      "REGISTRATOR_ID=backend-1",
      "ETCD_ENDPOINTS=http://proxy:2379",
      "SWITCHYARD_ROOT=/switchyard",
      "DOCKER_HOST=unix:///var/run/docker.sock",
      "REGISTRATOR_LISTEN=0.0.0.0:9102",
    ]);
    const tls = registratorEnv({ hostIp: "h", id: "b", etcd: { endpoints: ["https://p:2379"], tls: { ca: "CA", cert: "C", key: "K" }, auth: { username: "reg", password: "pw" } }, root: "/r", ttlSeconds: 20, resyncIntervalSeconds: 0 });
    expect(tls).toEqual(expect.arrayContaining(["REGISTRATOR_TTL=20", "REGISTRATOR_RESYNC_INTERVAL=0", "ETCD_CA_FILE=/etc/switchyard/etcd/ca.pem", "ETCD_CERT_FILE=/etc/switchyard/etcd/cert.pem", "ETCD_USERNAME=reg"]));
    expect(tls.join(" ")).not.toContain("pw");
  });
});

describe("Registrator (under mocks)", () => {
  it("runs one registrator per backend host with the socket, HOST_IP, restart policy and healthcheck", async () => {
    const docker = await import("@pulumi/docker");
    const { Registrator } = await import("./registrator");
    const host = (name: string, ip: string): Host => ({
      name,
      roles: ["backend"],
      provider: new docker.Provider(`${name}-docker`, {}),
      networkName: "switchyard-test",
      dial: (c, p) => ({ host: c, port: p }),
      registerAddress: ip,
      publish: (internal, exposure, external) => (exposure === "internal" ? [] : [{ internal, external: external ?? internal, ip: "127.0.0.1" }]),
      externalAddress: () => ip,
    });
    const reg = new Registrator("registrator", {
      hosts: [host("backend-1", "10.0.1.5"), host("backend-2", "10.0.1.6")],
      prefix: "sy-test",
      etcd: { endpoints: ["http://sy-test-etcd-proxy:2379"] },
      ttlSeconds: 15,
    });
    expect(await Promise.all(reg.metricsUrls.map(value))).toEqual(["http://10.0.1.5:9102/metrics", "http://10.0.1.6:9102/metrics"]);
    await Promise.all(reg.containers.map((c) => value(c.id)));
    const containers = seen.filter((r) => r.type === "docker:index/container:Container");
    expect(containers.map((c) => c.inputs.name)).toEqual(["sy-test-registrator-backend-1", "sy-test-registrator-backend-2"]);
    const c1 = containers[0].inputs;
    expect(c1.volumes).toEqual([{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }]);
    expect(unsecret(c1.envs)).toEqual(expect.arrayContaining(["HOST_IP=10.0.1.5", "REGISTRATOR_ID=backend-1", "ETCD_ENDPOINTS=http://sy-test-etcd-proxy:2379", "REGISTRATOR_TTL=15"]));
    expect(unsecret(containers[1].inputs.envs)).toEqual(expect.arrayContaining(["HOST_IP=10.0.1.6", "REGISTRATOR_ID=backend-2"]));
    expect(c1.restart).toBe("unless-stopped");
    expect(c1.healthcheck.tests).toEqual(["CMD", "node", "/opt/switchyard/bin/registrator.js", "probe", "--url", "http://127.0.0.1:9102/healthz"]);
    expect(c1.labels).not.toContainEqual(expect.objectContaining({ label: "switchyard.service" }));
    // One image per host daemon, built from a context holding the bundle and etcd3's proto files.
    const images = seen.filter((r) => r.type === "docker:index/image:Image");
    expect(images.map((i) => i.name)).toEqual(["registrator-backend-1-image", "registrator-backend-2-image"]);
    const context = images[0].inputs.build.context as string;
    expect(images[0].inputs.build.args).toEqual({ BASE_IMAGE: "debian:bookworm-slim" });
    for (const f of ["Dockerfile", "bin/registrator.js", "proto/rpc.proto"]) expect(fs.existsSync(path.join(context, f))).toBe(true);
  });

  it("rejects a TTL below 2 s", async () => {
    const { Registrator } = await import("./registrator");
    expect(() => new Registrator("bad", { hosts: [], prefix: "p", etcd: { endpoints: ["http://e:2379"] }, ttlSeconds: 1 })).toThrow(/ttlSeconds/);
  });
});
