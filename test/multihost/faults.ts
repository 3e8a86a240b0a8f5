/**
 * Host faults on the test hosts, measured: one host's link cut for a while under 16 keep-alive clients, then
 * restored. Shared by the multi-host end-to-end test (which asserts) and `npm run bench -- multi-host-faults`
 * (which records). What is measured, relative to the cut:
 *  - requests: total, failed, and failed among those issued inside / after the health-check bound;
 *  - seconds until the host's endpoints left rotation (the gateway's status key reports none of them healthy);
 *  - registry writes through the proxy while the host is cut (its etcd member is lost: quorum holds);
 *  - after the link is back, seconds until healed: the host's endpoints healthy and answering again, its etcd
 *    member answering a linearizable read, and a container started by hand there re-registered (its key,
 *    lease-bound, expired while the registrator could not reach etcd).
 */
import type Docker from "dockerode";
import { startLoad, type RequestRecord } from "../../bench/load";
import { waitFor } from "../helpers/ports";
import { readGatewayStatuses } from "../../lib/etcd/status-io";
import type { TestHostName, TestHosts } from "./hosts";
import type { MultiHostStack } from "./stack";

/**
 * How long after a host is cut off its endpoints may still be in rotation, from the gateway's health-check
 * defaults (agents/gateway/options.ts): a probe round starts every interval (1 s) unless one is running, a probe
 * to an unreachable host fails at its timeout (2 s), `fall` (2) failures in a row take the endpoint out, and the
 * change is applied within the debounce's max wait (0.2 s): 1 + 2 × (2 + 1) + 0.2 s, rounded up.
 */
export const HEALTH_BOUND_MS = 7_500;

const UPSTREAMS = "/switchyard/services/app/upstream/";

export interface FaultResult {
  fault: string;
  host: TestHostName;
  cutSeconds: number;
  total: number;
  failed: number;
  failedInsideBound: number;
  failedAfterBound: number;
  failures: Record<string, number>;
  /** Seconds from the cut until none of the host's endpoints was healthy at the gateway (no endpoints: null). */
  leftRotationSeconds: number | null;
  /** Registry writes through the proxy during the cut: ok / total, and the slowest that succeeded. */
  writes: { ok: number; total: number; maxMs: number };
  /** Seconds from link up until everything of the host was back (see the file comment). */
  healedSeconds: number;
  /** Of those: until the hand-started container's key was back (backend hosts). */
  reRegisteredSeconds: number | null;
}


async function gatewayEndpoints(s: MultiHostStack): Promise<{ addr: string; health: string }[]> {
  const etcd = s.etcd();
  try {
    const { statuses } = await readGatewayStatuses(etcd, "/switchyard");
    return statuses.flatMap((g) => Object.values(g.endpoints));
  } finally {
    etcd.close();
  }
}

async function upstreamValues(s: MultiHostStack): Promise<string[]> {
  const etcd = s.etcd();
  try {
    return Object.values(await etcd.getAll().prefix(UPSTREAMS).strings());
  } finally {
    etcd.close();
  }
}

/** The member's own client URL (published on its host's address): a read there needs that member in quorum. */
async function memberEndpoint(d: Docker, prefix: string, address: string): Promise<string | undefined> {
  const members = (await d.listContainers()).filter((c) => /-etcd-\d+$/.test(c.Names[0]) && c.Names[0].startsWith(`/${prefix}-`));
  if (!members.length) return undefined;
  const ports = (await d.getContainer(members[0].Id).inspect()).NetworkSettings.Ports["2379/tcp"];
  return `https://${address}:${ports![0].HostPort}`;
}

async function memberReads(s: MultiHostStack, endpoint: string): Promise<boolean> {
  const c = s.etcd(endpoint);
  try {
    await c.get("/switchyard/health-probe").string();
    return true;
  } catch {
    return false;
  } finally {
    c.close();
  }
}

/** Starts a labelled container by hand on the host (as 001 does); the registrator registers it. */
async function startByHand(d: Docker, s: MultiHostStack, host: TestHostName): Promise<{ name: string; remove(): Promise<void> }> {
  const app = (await d.listContainers()).find((c) => c.Names[0].startsWith(`/${s.prefix}-app-`))!;
  const name = `${s.prefix}-by-hand-${host}`;
  await d.getContainer(name).remove({ force: true }).catch(() => undefined);
  const c = await d.createContainer({
    name, Image: app.ImageID,
    Env: ["VERSION=byhand", `CONTAINER_NAME=${name}`, "PORT=8080"],
    Labels: { "switchyard.service": "app" },
    ExposedPorts: { "8080/tcp": {} },
      // As 001's `docker run -P` of an image without a healthcheck: the demo image's own exec healthcheck would
    // hold registration back until healthy, and exec probes time out on a loaded 2-core machine.
    Healthcheck: { Test: ["NONE"] },
    HostConfig: { PublishAllPorts: true },
  });
  await c.start();
  await waitFor(`${name} to be registered`, async () => (await upstreamValues(s)).some((v) => v.includes(name)), 30_000, 200);
  return { name, remove: () => c.remove({ force: true }).then(() => undefined) };
}

export async function cutHost(s: MultiHostStack, t: TestHosts, host: TestHostName, opts: { cutMs?: number } = {}): Promise<FaultResult> {
  const cutMs = opts.cutMs ?? 15_000;
  const h = t.hosts[host];
  const isBackend = host.startsWith("backend-");
  const mine = (addr: string) => addr.split(":")[0] === h.address;
  const byHand = isBackend ? await startByHand(h.docker, s, host) : undefined;
  const member = await memberEndpoint(h.docker, s.prefix, h.address);
  try {
    // Start from a healthy stack: every endpoint healthy at the gateway.
    await waitFor("every endpoint healthy at the gateway", async () => {
      const eps = await gatewayEndpoints(s);
      return eps.length > 0 && eps.every((e) => e.health === "healthy");
    }, 30_000, 250);

    const load = startLoad({ url: s.gatewayUrl, connections: 16 });
    await new Promise((r) => setTimeout(r, 1000));
    const cutAt = Date.now();
    t.link(host, "down");
    let leftAt: number | undefined;
    const writes = { ok: 0, total: 0, maxMs: 0 };
    const leftWatch = isBackend ? waitFor("the host's endpoints to leave rotation", async () => {
      const eps = (await gatewayEndpoints(s)).filter((e) => mine(e.addr));
      if (eps.every((e) => e.health !== "healthy")) return (leftAt = Date.now());
      return undefined;
    }, cutMs, 100).catch(() => undefined) : Promise.resolve(undefined);
    const writer = (async () => {
      const etcd = s.etcd();
      try {
        for (let i = 0; Date.now() - cutAt < cutMs - 500; i++) {
          const t0 = Date.now();
          writes.total++;
          try {
            await etcd.put(`/switchyard-faults/${host}`).value(String(i));
            writes.ok++;
            writes.maxMs = Math.max(writes.maxMs, Date.now() - t0);
          } catch { /* counted as not ok */ }
          await new Promise((r) => setTimeout(r, 250));
        }
      } finally {
        etcd.close();
      }
    })();
    await Promise.all([leftWatch, writer, new Promise((r) => setTimeout(r, cutMs))]);

    const upAt = Date.now();
    t.link(host, "up");
    const marks: { reRegistered?: number } = {};
    await waitFor("the host to heal", async () => {
      // Clients get answers again (after a gateway host's cut: at all).
      if (!load.records.some((r) => r.ok && (r.started ?? r.t) > upAt - load.startedAt)) return undefined;
      if (isBackend) {
        const eps = (await gatewayEndpoints(s)).filter((e) => mine(e.addr));
        if (!eps.length || eps.some((e) => e.health !== "healthy")) return undefined;
        if (byHand && marks.reRegistered === undefined) {
          if (!(await upstreamValues(s)).some((v) => v.includes(byHand.name))) return undefined;
          marks.reRegistered = Date.now();
        }
        // And clients get answers from it again.
        const since = upAt - load.startedAt;
        if (!load.records.some((r) => r.ok && (r.started ?? r.t) > since && r.body?.includes(`-${host}-`))) return undefined;
      }
      if (member && !(await memberReads(s, member))) return undefined;
      return true;
    }, 120_000, 200);
    const healedAt = Date.now();
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    const rel = (r: RequestRecord) => (r.started ?? r.t) + load.startedAt - cutAt;
    const failed = result.records.filter((r) => !r.ok);
    return {
      fault: `${host} link down ${Math.round(cutMs / 1000)} s`,
      host,
      cutSeconds: cutMs / 1000,
      total: result.total,
      failed: result.failed,
      failedInsideBound: failed.filter((r) => rel(r) >= 0 && rel(r) <= HEALTH_BOUND_MS).length,
      failedAfterBound: failed.filter((r) => rel(r) > HEALTH_BOUND_MS).length,
      failures: result.failures,
      leftRotationSeconds: leftAt === undefined ? null : (leftAt - cutAt) / 1000,
      writes,
      healedSeconds: (healedAt - upAt) / 1000,
      reRegisteredSeconds: marks.reRegistered === undefined ? null : (marks.reRegistered - upAt) / 1000,
    };
  } finally {
    t.link(host, "up");
    await byHand?.remove();
  }
}
