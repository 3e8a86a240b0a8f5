/**
 * The whole journey with etcd.tls=true (stack e2e-tls-nginx, ports 26370+): members with https and client-cert
 * auth, RBAC bootstrapped by EtcdAccess, every client with its own certificate — and the same switch with
 * 0 failed requests. After the switch: etcd refuses clients without the stack's certificates, the gateway's
 * identity cannot write upstreams, and no private key of the stack is in the stack outputs, in any
 * container's environment or command line, or in any layer of the images the stack's containers run.
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { classifyEtcdError, connectEtcd } from "../../lib/etcd/client";
import { waitFor } from "../helpers/ports";
import { docker, e2eName, type E2EStack } from "./fixture";
import { journey } from "./journey";

/** The distinctive part of a PEM key: its first base64 line (64 characters, random). */
const keyMarker = (pem: string) => pem.split("\n").find((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l))!;

/** Whether any of `needles` occurs in the `docker save` stream of an image (layers are plain tar). */
async function imageContains(imageId: string, needles: string[]): Promise<string[]> {
  const stream = await docker.getImage(imageId).get();
  const found = new Set<string>();
  const overlap = Math.max(...needles.map((n) => n.length));
  let tail = "";
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = tail + chunk.toString("latin1");
    for (const n of needles) if (text.includes(n)) found.add(n);
    tail = text.slice(-overlap);
  }
  return [...found];
}

/** Runs a labelled backend container by hand (as 001 scales), with the stack's backend image. */
async function startLabelled(s: E2EStack, name: string) {
  const images = await docker.listImages({ filters: { reference: [`${s.prefix}-backend`] } });
  const c = await docker.createContainer({
    name,
    Image: images[0].RepoTags![0],
    Env: ["VERSION=scaled", `CONTAINER_NAME=${name}`, "PORT=8080"],
    Labels: { "switchyard.stack": s.prefix, "switchyard.service": "app" },
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: { PortBindings: { "8080/tcp": [{ HostPort: "" }] } },
  });
  await c.start();
  return c;
}

describe(e2eName("the journey with etcd.tls=true (nginx gateway)"), () =>
  journey("nginx", 26370, {
    afterSwitch(s) {
      it("the operator's etcdctl works with the root certificate (README), and not without one", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-e2e-tls-"));
        try {
          const root = s.tls!.identity("root");
          fs.writeFileSync(path.join(dir, "ca.pem"), root.ca);
          fs.writeFileSync(path.join(dir, "root.pem"), root.cert!);
          fs.writeFileSync(path.join(dir, "root-key.pem"), root.key!, { mode: 0o600 });
          const etcdctl = (...args: string[]) => promisify(execFile)("etcdctl", [`--endpoints=${s.etcdEndpoint}`, "--command-timeout=3s", ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
          const certs = [`--cacert=${dir}/ca.pem`, `--cert=${dir}/root.pem`, `--key=${dir}/root-key.pem`];
          const { stdout } = await etcdctl(...certs, "member", "list");
          expect(stdout.split("\n").filter((l) => l.includes("https://"))).toHaveLength(3);
          // Without the certificate the same command fails at the handshake: etcdctl 3.4 reports only that no
          // connection came up before its deadline (checked: "all SubConns are in TransientFailure ... context
          // deadline exceeded"); the TLS reason itself (alert "bad certificate") is asserted on a client below.
          await expect(etcdctl(`--cacert=${dir}/ca.pem`, "get", "/switchyard/services/", "--prefix")).rejects.toThrow(/TransientFailure[\s\S]*context deadline exceeded/);
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });

      it("the registrator, with its own identity, registers a container started by hand and removes its key when it dies", async () => {
        const c = await startLabelled(s, `${s.prefix}-scaled`);
        const etcd = s.etcd();
        try {
          const value = await waitFor("the registrator to register the container", async () => {
            const kv = await etcd.getAll().prefix("/switchyard/services/app/upstream/").strings();
            return Object.values(kv).find((v) => v.includes(`${s.prefix}-scaled`));
          }, 30_000, 200);
          expect(JSON.parse(value)).toMatchObject({ source: "registrator", container: `${s.prefix}-scaled` });
          await c.kill();
          await waitFor("its key to go", async () => {
            const kv = await etcd.getAll().prefix("/switchyard/services/app/upstream/").strings();
            return Object.values(kv).some((v) => v.includes(`${s.prefix}-scaled`)) ? undefined : true;
          }, 15_000, 100);
        } finally {
          etcd.close();
          await c.remove({ force: true }).catch(() => undefined);
        }
      });

      it("etcd refuses a client without a certificate; the gateway's identity cannot write or delete an upstream", async () => {
        const noCert = connectEtcd({ endpoints: [s.etcdEndpoint], callTimeoutMs: 2000, dialTimeoutMs: 2000, tls: { ca: s.tls!.identity("root").ca } });
        const gw = connectEtcd({ endpoints: [s.etcdEndpoint], callTimeoutMs: 3000, tls: s.tls!.identity(`gateway-${s.prefix}-gateway-nginx`) });
        try {
          const refused = await noCert.get("/switchyard/services/").string().then(() => undefined, (e: unknown) => e);
          expect(classifyEtcdError(refused)).toBe("unreachable");
          expect(String((refused as Error).message)).toMatch(/alert bad certificate/);
          const err = await gw.put("/switchyard/services/app/upstream/evil").value("6.6.6.6:80").exec().then(() => undefined, (e: unknown) => e);
          expect(classifyEtcdError(err)).toBe("permission");
          const keys = Object.keys(await gw.getAll().prefix("/switchyard/services/app/upstream/").strings());
          const del = await gw.delete().key(keys[0]).exec().then(() => undefined, (e: unknown) => e);
          expect(classifyEtcdError(del)).toBe("permission");
        } finally {
          noCert.close();
          gw.close();
        }
      });

      it("no private key in stack outputs, container environments and command lines, or image layers", async () => {
        const keys = s.tls!.privateKeys();
        expect(keys.length).toBeGreaterThanOrEqual(8); // CA, 3 members, root, healthcheck, gateway, registrator
        const markers = keys.map(keyMarker);
        expect(markers.every((m) => m && m.length >= 40)).toBe(true);
        const outputs = JSON.stringify(s.outputs());
        expect(outputs).toContain("etcdCaCert");
        for (const m of markers) expect(outputs).not.toContain(m);
        const containers = await s.containers();
        expect(containers).toHaveLength(8);
        const images = new Set<string>();
        for (const c of containers) {
          const info = await docker.getContainer(c.Id).inspect();
          const listing = JSON.stringify({ env: info.Config.Env, cmd: info.Config.Cmd, entrypoint: info.Config.Entrypoint, labels: info.Config.Labels });
          for (const m of markers) expect(listing, c.Names[0]).not.toContain(m);
          images.add(info.Image);
        }
        // Not vacuous: the keys are in the containers, as uploaded files.
        const member = docker.getContainer(`${s.prefix}-etcd-0`);
        const exec = await member.exec({ Cmd: ["cat", "/etc/etcd/pki/key.pem"], AttachStdout: true, AttachStderr: true });
        const out = await new Promise<string>((resolve, reject) => exec.start({}, (err, stream) => {
          if (err || !stream) return reject(err);
          let text = "";
          stream.on("data", (d: Buffer) => (text += d.toString("latin1")));
          stream.on("end", () => resolve(text));
        }));
        expect(markers.some((m) => out.includes(m))).toBe(true);
        for (const id of images) expect(await imageContains(id, markers), id).toEqual([]);
      });
    },
  }, { tls: true }));
