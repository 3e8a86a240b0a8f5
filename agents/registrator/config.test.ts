import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { configFromOptions, describeCommand, type RawOptions } from "./config";

function parse(argv: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env };
  for (const k of ["HOST_IP", "ETCD_ENDPOINTS", "ETCD_HOST", "DOCKER_HOST", "REGISTRATOR_ID", "REGISTRATOR_TTL"]) delete process.env[k];
  Object.assign(process.env, env);
  try {
    const cmd = describeCommand(new Command("registrator")).exitOverride();
    cmd.parse(argv, { from: "user" });
    return configFromOptions(cmd.opts<RawOptions>(), process.env, () => "PEM");
  } finally {
    process.env = saved;
  }
}

describe("registrator command line", () => {
  it("has documented defaults: TTL 15 s, resync 30 s, root /switchyard, id = host IP", () => {
    const c = parse(["--host-ip", "10.0.0.5", "--etcd-endpoints", "http://127.0.0.1:2379"]);
    expect(c).toMatchObject({ hostIp: "10.0.0.5", registratorId: "10.0.0.5", ttlSeconds: 15, resyncIntervalSeconds: 30, root: "/switchyard", labelPrefix: "switchyard", dockerUrl: "unix:///var/run/docker.sock", listen: { host: "0.0.0.0", port: 9102 } });
  });

  it("reads docker-register's environment (HOST_IP, ETCD_HOST)", () => {
    const c = parse([], { HOST_IP: "10.170.71.5", ETCD_HOST: "10.170.71.226:4001" });
    expect(c).toMatchObject({ hostIp: "10.170.71.5", etcd: { endpoints: ["http://10.170.71.226:4001"] } });
  });

  it("reports every problem at once, naming the option", () => {
    const c = parse(["--ttl", "1", "--root", "/", "--listen", "nope"]);
    expect("problems" in c && c.problems.join("\n")).toMatch(/HOST_IP is required[\s\S]*ETCD_ENDPOINTS[\s\S]*--root[\s\S]*--ttl[\s\S]*--listen/);
  });

  it("takes TLS files and a user, and 'off' disables the HTTP server", () => {
    const c = parse(["--host-ip", "h1", "--id", "backend-1", "--etcd-endpoints", "https://10.0.0.1:2379", "--etcd-ca-file", "/ca.pem", "--etcd-username", "reg", "--listen", "off"], { ETCD_PASSWORD: "s3cret" });
    expect(c).toMatchObject({ registratorId: "backend-1", etcd: { tls: { ca: "PEM" }, auth: { username: "reg", password: "s3cret" } } });
    expect("listen" in c && c.listen).toBeFalsy();
  });
});
