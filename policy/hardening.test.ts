import { describe, expect, it } from "vitest";
import { container } from "./fixtures";
import { containerLeastPrivilege, containerNotPrivileged, dockerSocketNotMounted, keyUploadsPrivate } from "./hardening";
import { runResourcePolicy } from "./testing";

const HARDENED = { capabilities: { drops: ["ALL"], adds: ["SETUID", "SETGID"] }, securityOpts: ["no-new-privileges:true"] };
/** Pulumi's wire form of a secret, as the SDK's mocks hand it to the pack. */
const secret = (value: unknown) => ({ "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value });

describe("container-not-privileged", () => {
  it("passes a plain container, rejects privileged, host namespaces, host-level caps, unconfined and user root", async () => {
    expect((await runResourcePolicy(containerNotPrivileged, container(HARDENED))).violations).toEqual([]);
    const bad = container({ privileged: true, pidMode: "host", ipcMode: "host", capabilities: { adds: ["CAP_SYS_ADMIN", "NET_BIND_SERVICE"] }, securityOpts: ["seccomp=unconfined"], user: "0:0" });
    const { violations } = await runResourcePolicy(containerNotPrivileged, bad);
    expect(violations).toHaveLength(6);
    expect(violations[0]).toContain('container "sy-app" (resource app) is privileged');
    expect(violations.join("\n")).toMatch(/PID namespace[\s\S]*IPC namespace[\s\S]*adds host-level capabilities SYS_ADMIN\.[\s\S]*seccomp=unconfined[\s\S]*run as root \(user = "0:0"\)/);
  });
});

describe("container-least-privilege", () => {
  it("passes cap_drop ALL + no-new-privileges; rejects Docker's default capabilities and a missing no-new-privileges", async () => {
    expect((await runResourcePolicy(containerLeastPrivilege, container(HARDENED))).violations).toEqual([]);
    const { violations } = await runResourcePolicy(containerLeastPrivilege, container({ capabilities: { drops: ["NET_RAW"] } }));
    expect(violations).toEqual([
      expect.stringContaining("keeps Docker's default capabilities (drops only NET_RAW)"),
      expect.stringContaining('does not set no-new-privileges: a setuid binary in the image can regain root\'s privileges. Fix: securityOpts = ["no-new-privileges:true"]'),
    ]);
  });
});

describe("key-uploads-private", () => {
  it("passes keys uploaded 0600 (also inside a secret), rejects a key with the provider's default mode", async () => {
    const ok = container({ uploads: secret([{ file: "/etc/switchyard/etcd/key.pem", content: "-----BEGIN PRIVATE KEY-----", permissions: "0600" }, { file: "/etc/switchyard/etcd/ca.pem", content: "CERT" }]) });
    expect((await runResourcePolicy(keyUploadsPrivate, ok)).violations).toEqual([]);
    const bad = container({ uploads: secret([{ file: "/etc/switchyard/etcd/key.pem", content: "x" }, { file: "/etc/x/client.crt", content: "-----BEGIN EC PRIVATE KEY-----", permissions: "0644" }]) });
    expect((await runResourcePolicy(keyUploadsPrivate, bad)).violations).toEqual([
      expect.stringContaining("uploads the private key /etc/switchyard/etcd/key.pem with mode unset (the provider's default 0644: world-readable). Fix: uploads[].permissions = \"0600\""),
      expect.stringContaining("uploads the private key /etc/x/client.crt with mode 0644"),
    ]);
    expect((await runResourcePolicy(keyUploadsPrivate, container({ uploads: [{ file: "/etc/ca.pem", content: "CERT" }] }))).notApplicable).toBe("uploads no private key");
  });
});

describe("docker-socket-not-mounted", () => {
  it("is advisory and reports the socket as a bind volume (':ro' too) or a bind mount", async () => {
    expect(dockerSocketNotMounted.enforcementLevel).toBe("advisory");
    expect((await runResourcePolicy(dockerSocketNotMounted, container({}))).violations).toEqual([]);
    const ro = await runResourcePolicy(dockerSocketNotMounted, container({ volumes: [{ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock", readOnly: true }] }));
    expect(ro.violations).toEqual([expect.stringContaining("mounts the Docker socket /var/run/docker.sock: anything running in it can create a privileged container")]);
    const mount = await runResourcePolicy(dockerSocketNotMounted, container({ mounts: [{ type: "bind", source: "/run/docker.sock", target: "/d.sock" }] }));
    expect(mount.violations).toHaveLength(1);
  });
});
