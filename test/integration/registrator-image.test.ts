/**
 * The registrator image as the Registrator component builds it (agents/registrator/image + the bundle), run
 * as a container the way docker-register ran: Docker socket mounted, HOST_IP and the etcd address in the
 * environment. The image is built on the shared daemon (its build needs the Debian mirror) under a tag that is
 * the context's hash, so it is built once; the container watches a PRIVATE dockerd through its socket.
 */
import type { Etcd3 } from "etcd3";
import { execFile } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareRegistratorContext } from "../../components/registrator";
import { contextHash } from "../../components/image";
import { connectEtcd } from "../../lib/etcd/client";
import { parseUpstreamValue, upstreamKey } from "../../lib/etcd/keys";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { freePorts, waitFor } from "../helpers/ports";
import { publishedPort, runBackend, startPrivateDockerd, type PrivateDockerd } from "./registrator-fixture";

const run = promisify(execFile);
const shared = async (...args: string[]) => (await run("docker", args, { maxBuffer: 16 << 20 })).stdout.trim();
const NAME = `sy-test-registrator-agent-${crypto.randomBytes(3).toString("hex")}`;

describe("registrator image", () => {
  let cluster: TestCluster;
  let dockerd: PrivateDockerd;
  let etcd: Etcd3;
  let image: string;
  let metricsPort: number;

  beforeAll(async () => {
    const dir = prepareRegistratorContext("sy-test-registrator-image");
    image = `sy-test-registrator-agent:${contextHash(dir)}`;
    const exists = await shared("image", "inspect", image).then(() => true, () => false);
    if (!exists) {
      // Older builds of this cache (from earlier code) are dropped so they do not pile up.
      const old = (await shared("images", "sy-test-registrator-agent", "--format", "{{.Repository}}:{{.Tag}}")).split("\n").filter(Boolean);
      if (old.length) await shared("rmi", ...old).catch(() => undefined);
      await shared("build", "-q", "--build-arg", "BASE_IMAGE=debian:bookworm-slim", "-t", image, dir);
    }
    fs.rmSync(dir, { recursive: true, force: true });
    [cluster, dockerd] = await Promise.all([startEtcdCluster({ size: 3 }), startPrivateDockerd()]);
    etcd = connectEtcd(cluster.connection());
    [metricsPort] = await freePorts(1);
  }, 600_000);
  afterAll(async () => {
    await shared("rm", "-f", NAME).catch(() => undefined);
    etcd?.close();
    await dockerd?.stop();
    await cluster?.stop();
  });

  it("runs with the socket mounted and docker-register's environment, reports healthy, registers, and stops without revoking", async () => {
    await shared(
      "run", "-d", "--name", NAME, "--network", "host", "--init",
      "-v", `${dockerd.url.slice("unix://".length)}:/var/run/docker.sock`,
      "-e", "HOST_IP=127.0.0.1",
      "-e", `ETCD_HOST=${cluster.proxyEndpoint.slice("http://".length)}`,
      "-e", "REGISTRATOR_ID=image-test",
      "-e", "REGISTRATOR_TTL=3",
      "-e", `REGISTRATOR_LISTEN=127.0.0.1:${metricsPort}`,
      "--health-cmd", `node /opt/switchyard/bin/registrator.js probe --url http://127.0.0.1:${metricsPort}/healthz`,
      "--health-interval", "1s",
      image,
    );
    await waitFor("the registrator container to be healthy", async () => (await shared("inspect", "-f", "{{.State.Health.Status}}", NAME)) === "healthy", 60_000, 250)
      .catch(async (e: Error) => { throw new Error(`${e.message}\n${await shared("logs", "--tail", "30", NAME).catch(() => "")}`); });

    await runBackend(dockerd, "sy-test-registrator-img-a", { labels: { "switchyard.service": "web" } });
    const port = await publishedPort(dockerd, "sy-test-registrator-img-a");
    const key = upstreamKey("/switchyard", "web", "image-test-sy-test-registrator-img-a");
    const value = await waitFor("the key written by the containerized registrator", async () => (await etcd.get(key).string()) ?? undefined, 15_000, 50);
    expect(parseUpstreamValue(value)).toMatchObject({ addr: `127.0.0.1:${port}`, meta: { source: "registrator", registrator: "image-test" } });

    // docker stop: a graceful exit (code 0) that does not revoke: the keys move to a handover lease (not kept
    // alive, HANDOVER_TTL_SECONDS) so a replacement that starts slower than the 3 s TTL still adopts them.
    await shared("stop", "-t", "10", NAME);
    expect(await shared("inspect", "-f", "{{.State.ExitCode}}", NAME)).toBe("0");
    expect(await etcd.get(key).string()).toBe(value);
    const { stderr } = await run("docker", ["logs", NAME]);
    expect(stderr).toMatch(/"signal":"SIGTERM".*stopping; keys expire with the lease/);
    expect(stderr).toMatch(/"keys":1.*"ttlSeconds":60.*keys handed over to a successor lease/);
    // Past twice the registrator's own TTL its old lease is gone; the key lives on the handover lease.
    await new Promise((r) => setTimeout(r, 6500));
    expect(await etcd.get(key).string()).toBe(value);
  });
});
