/**
 * The journey with the nginx gateway (the default), plus the source documents' workflows on the deployed
 * stack: an upstream put by hand with etcdctl (000/002), a container scaled by hand and registered by the
 * registrator (001), and a member of the registry killed during a switch (000).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { startLoad } from "../../bench/load";
import { waitFor } from "../helpers/ports";
import { coverageProblems, moreRequests } from "../helpers/traffic";
import { docker, e2eName, get, type E2EStack } from "./fixture";
import { journey } from "./journey";

const run = promisify(execFile);

async function backendImage(s: E2EStack): Promise<string> {
  const images = await docker.listImages({ filters: { reference: [`${s.prefix}-backend`] } });
  if (!images.length || !images[0].RepoTags?.length) throw new Error(`no ${s.prefix}-backend image`);
  return images[0].RepoTags[0];
}

/** Every answer of a test, by status: a test asserts at its end that all of them were 200. */
type Statuses = Record<number, number>;

/** Versions answering a burst of requests; every status is counted in `statuses` (a 502 is not "no py2"). */
async function versionsSeen(s: E2EStack, statuses: Statuses, n = 30): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const r = await get(s.gatewayUrl);
    statuses[r.status] = (statuses[r.status] ?? 0) + 1;
    if (r.status === 200) seen.add(r.body.split(" ")[0]);
  }
  return seen;
}
const onlyOk = (statuses: Statuses) => Object.fromEntries(Object.entries(statuses).filter(([status]) => status !== "200"));

async function startHandmade(s: E2EStack, name: string, version: string, extra: { network?: string; labels?: Record<string, string>; publish?: boolean }) {
  const c = await docker.createContainer({
    name,
    Image: await backendImage(s),
    Env: [`VERSION=${version}`, `CONTAINER_NAME=${name}`, "PORT=8080"],
    Labels: { "switchyard.stack": s.prefix, ...(extra.labels ?? {}) },
    ExposedPorts: { "8080/tcp": {} },
    HostConfig: {
      ...(extra.network ? { NetworkMode: extra.network } : {}),
      ...(extra.publish ? { PortBindings: { "8080/tcp": [{ HostPort: "" }] } } : {}),
    },
  });
  await c.start();
  return c;
}

describe(e2eName("the journey with the nginx gateway"), () =>
  journey("nginx", 21370, {
    afterSwitch(s, live) {
      it("etcdctl put of an upstream by hand routes traffic to it; etcdctl del takes it out (000/002)", async () => {
        const c = await startHandmade(s, `${s.prefix}-py2`, "py2", { network: s.prefix });
        const statuses: Statuses = {};
        try {
          const ip = (await c.inspect()).NetworkSettings.Networks[s.prefix].IPAddress;
          const etcdctl = (...args: string[]) => run("etcdctl", [`--endpoints=${s.etcdEndpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
          await etcdctl("put", "/switchyard/services/app/upstream/py2", `${ip}:8080`);
          // With two keys the requests alternate between both versions, as in 002.
          await waitFor("py2 to receive traffic next to v2", async () => {
            const seen = await versionsSeen(s, statuses);
            return seen.has("py2") && seen.has(live.current) ? seen : undefined;
          }, 20_000, 200);
          await etcdctl("del", "/switchyard/services/app/upstream/py2");
          await waitFor("py2 to leave rotation", async () => ((await versionsSeen(s, statuses, 20)).has("py2") ? undefined : true), 20_000, 200);
          expect(onlyOk(statuses), "every answer while py2 joined and left must be 200").toEqual({});
          expect(statuses[200]).toBeGreaterThanOrEqual(50);
        } finally {
          await c.remove({ force: true });
        }
      });

      it("a container started by hand with the service label is registered and routed; killed, it leaves rotation (001)", async () => {
        const c = await startHandmade(s, `${s.prefix}-scaled`, "scaled", { labels: { "switchyard.service": "app" }, publish: true });
        const statuses: Statuses = {};
        try {
          const etcd = s.etcd();
          try {
            const value = await waitFor("the registrator to register the container", async () => {
              const kv = await etcd.getAll().prefix("/switchyard/services/app/upstream/").strings();
              return Object.values(kv).find((v) => v.includes(`${s.prefix}-scaled`));
            }, 20_000, 200);
            expect(JSON.parse(value)).toMatchObject({ source: "registrator", container: `${s.prefix}-scaled` });
            await waitFor("the scaled container to receive traffic", async () => ((await versionsSeen(s, statuses)).has("scaled") ? true : undefined), 20_000, 200);
            await c.kill();
            await waitFor("its key to go", async () => {
              const kv = await etcd.getAll().prefix("/switchyard/services/app/upstream/").strings();
              return Object.values(kv).some((v) => v.includes(`${s.prefix}-scaled`)) ? undefined : true;
            }, 10_000, 100);
            await waitFor("it to leave rotation", async () => ((await versionsSeen(s, statuses, 20)).has("scaled") ? undefined : true), 20_000, 200);
            expect(onlyOk(statuses), "every answer while the scaled container joined and was killed must be 200").toEqual({});
            expect(statuses[200]).toBeGreaterThanOrEqual(50);
          } finally {
            etcd.close();
          }
        } finally {
          await c.remove({ force: true });
        }
      });

      it("an etcd member killed: traffic is unaffected and a switch still succeeds (000)", async () => {
        const member = docker.getContainer(`${s.prefix}-etcd-0`);
        const load = startLoad({ url: s.gatewayUrl, connections: 8 });
        try {
          await moreRequests(load.records, 50);
          const killed = Date.now();
          await member.kill();
          await s.up({ "backend.version": "v3" });
          live.current = "v3";
          const upEnded = Date.now();
          await moreRequests(load.records, 50);
          const result = await load.stop();
          expect(result.failures).toEqual({});
          expect(result.failed).toBe(0);
          expect(coverageProblems(result.records, load.startedAt, { from: killed, to: upEnded }, 200)).toEqual([]);
          expect(result.records.slice(-50).every((r) => r.body?.startsWith("v3 "))).toBe(true);
        } finally {
          await load.stop();
          await member.start().catch(() => undefined);
        }
      });
    },
  }));
