import { describe, expect, it } from "vitest";
import { containerCreateOptions, durationNs } from "./container-spec";
import { tarFiles } from "./tar";

describe("durationNs", () => {
  it("parses Go durations", () => {
    expect(durationNs("5s")).toBe(5e9);
    expect(durationNs("1m30s")).toBe(90e9);
    expect(durationNs("500ms")).toBe(5e8);
    expect(durationNs(undefined)).toBeUndefined();
    expect(() => durationNs("5 seconds")).toThrow(/invalid duration/);
  });
});

describe("containerCreateOptions", () => {
  it("maps the inputs the program uses to the Engine API", () => {
    const o = containerCreateOptions({
      name: "c",
      image: "img:1",
      command: ["node", "x.js"],
      envs: ["A=1"],
      labels: [{ label: "k", value: "v" }],
      ports: [{ internal: 8000, external: 8001, ip: "127.0.0.1" }, { internal: 9000 }],
      networksAdvanced: [{ name: "net1", aliases: ["a"] }, { name: "net2" }],
      volumes: [{ volumeName: "data", containerPath: "/data" }, { hostPath: "/etc/x", containerPath: "/x", readOnly: true }],
      mounts: [{ type: "tmpfs", target: "/tmp", tmpfsOptions: { sizeBytes: 1024 } }],
      restart: "on-failure",
      maxRetryCount: 3,
      healthcheck: { tests: ["CMD", "true"], interval: "2s", retries: 5 },
      hosts: [{ host: "etcd", ip: "10.0.0.1" }],
      capabilities: { adds: ["NET_ADMIN"] },
      destroyGraceSeconds: 10,
    });
    expect(o).toMatchObject({
      name: "c",
      Image: "img:1",
      Cmd: ["node", "x.js"],
      Env: ["A=1"],
      Labels: { k: "v" },
      ExposedPorts: { "8000/tcp": {}, "9000/tcp": {} },
      Healthcheck: { Test: ["CMD", "true"], Interval: 2e9, Retries: 5 },
      HostConfig: {
        PortBindings: { "8000/tcp": [{ HostIp: "127.0.0.1", HostPort: "8001" }], "9000/tcp": [{ HostIp: "0.0.0.0", HostPort: "" }] },
        NetworkMode: "net1",
        Binds: ["data:/data", "/etc/x:/x:ro"],
        Mounts: [{ Type: "tmpfs", Target: "/tmp", TmpfsOptions: { SizeBytes: 1024 } }],
        RestartPolicy: { Name: "on-failure", MaximumRetryCount: 3 },
        ExtraHosts: ["etcd:10.0.0.1"],
        CapAdd: ["NET_ADMIN"],
      },
      // The second network is connected before start (API 1.41 takes one endpoint at create).
      NetworkingConfig: { EndpointsConfig: { net1: { Aliases: ["a"] } } },
    });
  });

  it("refuses inputs it does not emulate instead of dropping them", () => {
    expect(() => containerCreateOptions({ image: "i", gpus: "all" } as never)).toThrow(/does not emulate docker.Container input\(s\): gpus/);
  });
});

describe("tarFiles", () => {
  it("writes a ustar archive whose header checksum verifies", () => {
    const tar = tarFiles([{ path: "/etc/app.conf", content: Buffer.from("hello"), mode: 0o644 }]);
    expect(tar.length % 512).toBe(0);
    expect(tar.subarray(0, 12).toString()).toBe("etc/app.conf");
    const header = Buffer.from(tar.subarray(0, 512));
    const stored = parseInt(header.subarray(148, 154).toString(), 8);
    header.fill(" ", 148, 156);
    expect(header.reduce((s, b) => s + b, 0)).toBe(stored);
    expect(tar.subarray(512, 517).toString()).toBe("hello");
  });
});
