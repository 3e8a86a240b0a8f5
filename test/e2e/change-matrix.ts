/**
 * The change matrix (issue 12): one stack per gateway kind, then one `up` per row under 16 keep-alive
 * clients. Every row asserts 0 failed requests, its step order, that every etcd key committed before the
 * change is still there (canary keys, the registrator's key of a container started by hand), and — for the
 * backend rows — that the last responses all come from the new generation. test/e2e/change-matrix-<kind>.test.ts
 * run it. Rows that belong to other areas (etcd.image, etcd.members, certificate renewal) plug in through
 * `extraRows`; the rows themselves are in change-rows.ts, shared with `npm run bench -- change-matrix`.
 */
import type { Etcd3, IKeyValue } from "etcd3";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLoad, type LoadSummary } from "../../bench/load";
import type { Step } from "../harness";
import { waitFor } from "../helpers/ports";
import { AGENT_ROWS, BACKEND_ROWS, CUSTOM_IMAGE_TAG, generationOf, type ChangeRow } from "./change-rows";
import { docker, e2eStack, gatewayDiagnostics, get } from "./fixture";

const UPSTREAMS = "/switchyard/services/app/upstream/";
const CANARY_SERVICE = "canary";
const CANARY_PREFIX = "/switchyard-canary/";

/** The first up builds every image (minutes on a loaded machine); a row builds at most one. */
const FIRST_UP_MS = 600_000;
const ROW_MS = 300_000;

const nonSame = (steps: Step[]) => steps.filter((x) => x.op !== "same");
const describeSteps = (steps: Step[]) => nonSame(steps).map((x) => `${x.op} ${x.name}`).join(", ");

/** Where the failures fall relative to the steps (seconds since the load started), for a failing assertion. */
function failureWindow(result: LoadSummary, startedAt: number, steps: Step[]): string {
  const failed = result.records.filter((r) => !r.ok);
  const rel = (epoch: number) => ((epoch - startedAt) / 1000).toFixed(2);
  const lines = nonSame(steps).map((x) => `  ${rel(x.started)}-${rel(x.finished)} s ${x.op} ${x.name}`);
  return `${JSON.stringify(result.failures)} from ${(failed[0].t / 1000).toFixed(2)} s to ${(failed[failed.length - 1].t / 1000).toFixed(2)} s; steps:\n${lines.join("\n")}`;
}

/** Collects every DELETE under `prefix` while it runs. */
async function watchDeletes(etcd: Etcd3, prefix: string): Promise<{ deleted: string[]; stop(): Promise<void> }> {
  const deleted: string[] = [];
  const watcher = await etcd.watch().prefix(prefix).create();
  watcher.on("delete", (kv: IKeyValue) => deleted.push(kv.key.toString()));
  return { deleted, stop: () => watcher.cancel() };
}

export function changeMatrix(kind: "nginx" | "haproxy", basePort: number, extraRows: ChangeRow[] = []): void {
  const s = e2eStack(kind, basePort, { name: `e2e-changes-${kind}` });
  let config: Record<string, string> = { "backend.version": "v1" };
  let liveGeneration = "";
  let canaries = 0;

  beforeAll(async () => {
    await s.cleanup();
  });
  afterAll(async () => {
    await s.destroy().catch(() => undefined);
    await s.cleanup();
    await docker.getImage(CUSTOM_IMAGE_TAG(s)).remove().catch(() => undefined);
  });

  it("up: the stack serves v1, with a container started by hand registered by the registrator", async () => {
    const { steps } = await s.up(config);
    liveGeneration = generationOf(nonSame(steps).find((x) => generationOf(x.name))!.name)!;
    await waitFor("v1 to serve", async () => ((await get(s.gatewayUrl).catch(() => undefined))?.status === 200 ? true : undefined), 30_000, 200);
    // With a second service, app stays the default one through the route key the program writes (its Route;
    // a committed key to keep, too). A hand-written one would be a foreign value the Route refuses to delete.
    // A container outside the program, registered under a lease by the registrator (service "canary").
    const images = await docker.listImages({ filters: { reference: [`${s.prefix}-backend`] } });
    const c = await docker.createContainer({
      name: `${s.prefix}-canary`,
      Image: images[0].RepoTags![0],
      Env: ["VERSION=canary", `CONTAINER_NAME=${s.prefix}-canary`, "PORT=8080"],
      Labels: { "switchyard.stack": s.prefix, "switchyard.service": CANARY_SERVICE },
      ExposedPorts: { "8080/tcp": {} },
      HostConfig: { PortBindings: { "8080/tcp": [{ HostPort: "" }] } },
    });
    await c.start();
    const etcd = s.etcd();
    try {
      await waitFor("the registrator to register the canary container", async () => (await etcd.getAll().prefix(`/switchyard/services/${CANARY_SERVICE}/upstream/`).keys()).length === 1 || undefined, 30_000, 200);
      // A new service is a structure change (a reload): let the gateway apply it before any row's load starts.
      const revision = Number((await etcd.get("/switchyard/services/app/route").exec()).header.revision);
      await waitFor("the gateway to apply the canary service", async () => {
        const status = Object.values(await etcd.getAll().prefix("/switchyard/gateways/").json()) as { appliedRevision: number }[];
        return status.length === 1 && status[0].appliedRevision >= revision ? true : undefined;
      }, 30_000, 200);
    } finally {
      etcd.close();
    }
  }, FIRST_UP_MS);

  for (const row of [...BACKEND_ROWS, ...AGENT_ROWS, ...extraRows]) {
    it(`${row.name}: 0 failed requests under 16 keep-alive clients, the step order, every committed key kept`, async () => {
      await row.before?.(s);
      config = { ...config, ...row.config };
      const etcd = s.etcd();
      try {
        // Keys committed before the change: a canary per row so far, the registrator's, the live upstreams.
        await etcd.put(`${CANARY_PREFIX}${row.name}`).value(String(++canaries));
        const before = await etcd.getAll().prefix("/switchyard").keys();
        const committed = [...before.filter((k) => !k.startsWith("/switchyard/gateway")) /* gateway status: lease-bound, rewritten */, ...(await etcd.getAll().prefix(CANARY_PREFIX).keys())];
        const oldUpstreams = before.filter((k) => k.startsWith(UPSTREAMS));
        // The live generation, as etcd says (so one failed row does not make the next ones fail too).
        liveGeneration = generationOf(oldUpstreams[0]) ?? liveGeneration;
        const deletes = await watchDeletes(etcd, "/switchyard/services/");

        const load = startLoad({ url: s.gatewayUrl, connections: 16 });
        await new Promise((r) => setTimeout(r, 1000));
        let steps: Step[];
        let result: LoadSummary;
        try {
          steps = (await s.up(config)).steps;
          await new Promise((r) => setTimeout(r, 1000));
        } finally {
          result = await load.stop();
          await deletes.stop();
        }
        const diag = result.failed ? `${failureWindow(result, load.startedAt, steps)}\n${await gatewayDiagnostics(s)}` : "";
        expect(result.failed, diag).toBe(0);
        expect(result.total).toBeGreaterThan(200);

        // No backend container is ever replaced or updated in place.
        expect(nonSame(steps).filter((x) => x.type === "docker:index/container:Container" && generationOf(x.name) && x.op !== "create" && x.op !== "delete"), describeSteps(steps)).toEqual([]);

        const after = await etcd.getAll().prefix("/").keys();
        const newUpstreams = after.filter((k) => k.startsWith(UPSTREAMS));
        const keptExpected = row.expect === "new-generation" ? committed.filter((k) => !oldUpstreams.includes(k))
          : row.expect === "scale-down" ? committed.filter((k) => !oldUpstreams.includes(k) || newUpstreams.includes(k)) : committed;
        expect(keptExpected.filter((k) => !after.includes(k))).toEqual([]);
        // Only the old generation's keys were ever deleted (never the registrator's, never a kept one).
        expect(deletes.deleted.filter((k) => !oldUpstreams.includes(k) || newUpstreams.includes(k))).toEqual([]);

        const created = nonSame(steps).filter((x) => x.op === "create" && generationOf(x.name));
        const deleted = nonSame(steps).filter((x) => x.op === "delete" && generationOf(x.name));
        const lastCreate = Math.max(0, ...created.filter((x) => x.name.endsWith("-upstream")).map((x) => x.finished));
        // Each old key is deleted (and drained) after every new key is acknowledged, and before its container.
        for (const d of deleted.filter((x) => x.name.endsWith("-upstream"))) {
          expect(d.started).toBeGreaterThanOrEqual(lastCreate);
          const container = deleted.find((x) => x.name === d.name.replace(/-upstream$/, ""));
          expect(container, `${d.name}'s container deleted too`).toBeDefined();
          expect(container!.started).toBeGreaterThanOrEqual(d.finished);
        }
        const newGenerations = new Set(created.map((x) => generationOf(x.name)));
        if (row.expect === "new-generation") {
          expect([...newGenerations]).toHaveLength(1);
          const next = [...newGenerations][0]!;
          expect(next).not.toBe(liveGeneration);
          expect(new Set(deleted.map((x) => generationOf(x.name)))).toEqual(new Set([liveGeneration]));
          expect(newUpstreams.every((k) => k.includes(`-app-${next}-`)), newUpstreams.join(", ")).toBe(true);
          liveGeneration = next;
          // The last responses all come from the new generation.
          const last = result.records.slice(-200);
          expect(last.filter((r) => !r.body?.includes(`-app-${next}-`)).slice(0, 3)).toEqual([]);
        } else if (row.expect === "scale-up") {
          expect(deleted).toEqual([]);
          expect([...newGenerations]).toEqual([liveGeneration]);
          expect(newUpstreams.length).toBeGreaterThan(oldUpstreams.length);
        } else if (row.expect === "scale-down") {
          expect(created).toEqual([]);
          expect(deleted.length).toBeGreaterThan(0);
          expect(newUpstreams.length).toBeLessThan(oldUpstreams.length);
        } else {
          expect(created).toEqual([]);
          expect(deleted).toEqual([]);
        }
      } finally {
        etcd.close();
      }
    }, ROW_MS);
  }
}
