/**
 * The user's journey with the REAL Pulumi CLI (scripts/build-engine), through the README's own commands:
 * `./scripts/deploy --yes`, `pulumi stack output`, `pulumi config set`, `pulumi preview --diff`,
 * `pulumi refresh`, `pulumi up --policy-pack policy`, `./scripts/destroy --yes`. The engine, the language
 * host's runner (@pulumi/pulumi/cmd/run), the dynamic-provider plugin and the file backend are the real ones;
 * the docker and tls provider plugins are doubles (test/engine/providers) realizing on the real Docker engine.
 * test/e2e/cli-<kind>.test.ts run it per gateway kind.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLoad } from "../../bench/load";
import { engineEnv, ROOT, run, tail, type CliResult } from "../engine/cli";
import { waitFor } from "../helpers/ports";
import { docker, ETCD_TEST_IMAGE, gatewayDiagnostics, get, nsName, nsPort } from "./fixture";

interface PreviewStep { op: string; urn: string }

/** A CLI step runs the program and starts plugins: minutes on a loaded 2-core machine. */
const STEP_MS = 15 * 60_000;

export function cliJourney(kind: "nginx" | "haproxy", basePortBeforeNs: number): void {
  const stack = nsName(`cli-${kind}`);
  const prefix = `switchyard-${stack}`;
  const base = nsPort(basePortBeforeNs);
  const ports = { "etcd.proxyPort": base, "gateway.port": base + 1, "gateway.statsPort": base + 2, "gateway.metricsPort": base + 3, "registrator.metricsPort": base + 4 };
  const gatewayUrl = `http://127.0.0.1:${ports["gateway.port"]}`;
  const etcdEndpoint = `http://127.0.0.1:${ports["etcd.proxyPort"]}`;
  const stackFile = path.join(ROOT, `Pulumi.${stack}.yaml`);
  const stateDir = path.join(os.tmpdir(), `switchyard-${stack}-state`);
  // The scripts make the file backend and the passphrase; `pulumi` run by hand needs the same two variables.
  const env = () => ({
    ...engineEnv(),
    STACK: stack,
    SWITCHYARD_STATE_DIR: stateDir,
    SWITCHYARD_SKIP_NPM_CI: "1",
    PULUMI_BACKEND_URL: `file://${stateDir}`,
    PULUMI_CONFIG_PASSPHRASE_FILE: path.join(stateDir, "passphrase"),
  });
  const sh = (...argv: string[]) => run(argv, { env: env() });
  const pulumi = (...args: string[]) => sh("pulumi", ...args, "--stack", stack, "--non-interactive");
  const ok = (r: CliResult) => {
    expect(r.code, tail(r)).toBe(0);
    return r;
  };
  const containers = () => docker.listContainers({ all: true, filters: { label: [`switchyard.stack=${prefix}`] } });
  const etcdctl = (...args: string[]) => run(["etcdctl", `--endpoints=${etcdEndpoint}`, ...args], { env: { ...process.env, ETCDCTL_API: "3" } });
  const upstreamKey = (v: string, i: number) => `/switchyard/services/app/upstream/${prefix}-app-${v}-local-${i}`;
  const upstreamKeys = async () => (await etcdctl("get", "--prefix", "--keys-only", "/switchyard/services/app/upstream/")).stdout.split("\n").filter(Boolean).sort();
  const servesOnly = (version: string) =>
    waitFor(`the gateway to serve only ${version}`, async () => {
      const bodies = await Promise.all(Array.from({ length: 8 }, () => get(gatewayUrl).catch((e: Error) => ({ status: 0, body: e.message }))));
      return bodies.every((b) => b.status === 200 && b.body.startsWith(`${version} `)) ? bodies : undefined;
    }, 30_000, 200);
  const cleanup = async () => {
    for (const c of await containers()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
    for (const n of (await docker.listNetworks({ filters: { name: [prefix] } })).filter((x) => x.Name === prefix)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
    for (const v of (await docker.listVolumes({ filters: { label: [`switchyard.stack=${prefix}`] } })).Volumes ?? []) await docker.getVolume(v.Name).remove().catch(() => undefined);
  };

  beforeAll(async () => {
    await cleanup();
    fs.rmSync(stateDir, { recursive: true, force: true });
    fs.mkdirSync(stateDir, { recursive: true });
    // The stack's settings, as a user would write them into Pulumi.<stack>.yaml (the test image for etcd,
    // ports shifted by SWITCHYARD_TEST_NS); `./scripts/deploy` creates the stack and adds its salt.
    const config: Record<string, string> = {
      "etcd.image": ETCD_TEST_IMAGE, "gateway.kind": kind, "switch.gateTimeoutSeconds": "60", "registrator.ttlSeconds": "5",
      "backend.version": "v1", ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    };
    fs.writeFileSync(stackFile, `config:\n${Object.entries(config).map(([k, v]) => `  switchyard:${k}: "${v}"`).join("\n")}\n`);
  });
  afterAll(async () => {
    if (fs.existsSync(path.join(stateDir, "passphrase"))) await sh("./scripts/destroy", "--yes").catch(() => undefined);
    await cleanup();
    fs.rmSync(stackFile, { force: true });
    fs.rmSync(stateDir, { recursive: true, force: true });
  }, STEP_MS);

  it("./scripts/deploy --yes: from nothing, file backend and a generated passphrase; pulumi stack output", async () => {
    const r = ok(await sh("./scripts/deploy", "--yes"));
    expect(r.stdout).toMatch(/created a secrets passphrase/);
    expect(fs.statSync(path.join(stateDir, "passphrase")).mode & 0o777).toBe(0o600);
    await servesOnly("v1");
    const outputs = JSON.parse(ok(await pulumi("stack", "output", "--json")).stdout);
    expect(outputs).toMatchObject({ liveVersion: "v1", etcdEndpoint, etcdMembers: ["etcd-0", "etcd-1", "etcd-2"] });
    expect(ok(await pulumi("stack", "output", "gatewayUrl")).stdout.trim()).toBe(gatewayUrl.replace("127.0.0.1", "localhost"));
    expect(await upstreamKeys()).toEqual([upstreamKey("v1", 0), upstreamKey("v1", 1)]);
    // A second up with nothing changed changes nothing (no replacement from what the provider reads back).
    const again = ok(await pulumi("preview", "--json"));
    const changes = (JSON.parse(again.stdout).steps as PreviewStep[]).filter((s) => s.op !== "same");
    expect(changes, again.stdout.slice(-3000)).toEqual([]);
  }, STEP_MS);

  it("pulumi config set backend.version v2; pulumi preview --diff shows the switch: v2 created, v1 deleted, nothing else", async () => {
    ok(await pulumi("config", "set", "backend.version", "v2"));
    const r = ok(await pulumi("preview", "--diff", "--json"));
    const steps = (JSON.parse(r.stdout).steps as PreviewStep[]).filter((s) => s.op !== "same");
    const summary = steps.map((s) => `${s.op} ${s.urn.split("::").pop()}`).sort();
    expect(summary).toEqual([
      "create app-v2-local-0", "create app-v2-local-0-upstream", "create app-v2-local-1", "create app-v2-local-1-upstream",
      "delete app-v1-local-0", "delete app-v1-local-0-upstream", "delete app-v1-local-1", "delete app-v1-local-1-upstream",
    ].sort());
  }, STEP_MS);

  it("./scripts/deploy --yes under 16 keep-alive clients: 0 failed requests, then only v2", async () => {
    const load = startLoad({ url: gatewayUrl, connections: 16 });
    await new Promise((r) => setTimeout(r, 1000));
    const r = await sh("./scripts/deploy", "--yes");
    await new Promise((r) => setTimeout(r, 1000));
    const result = await load.stop();
    expect(r.code, tail(r)).toBe(0);
    expect(result.failures, result.failed ? await gatewayDiagnostics({ prefix, kind }) : "").toEqual({});
    expect(result.total).toBeGreaterThan(500);
    expect(result.records.slice(-200).every((x) => x.body?.startsWith("v2 "))).toBe(true);
    expect(await upstreamKeys()).toEqual([upstreamKey("v2", 0), upstreamKey("v2", 1)]);
    expect((await containers()).map((c) => c.Names[0]).filter((n) => n.includes("-app-v1-"))).toEqual([]);
  }, STEP_MS);

  it("pulumi refresh reports an Upstream changed by hand and one deleted by hand; the next deploy puts both back", async () => {
    const changed = upstreamKey("v2", 0);
    const value = (await etcdctl("get", "--print-value-only", changed)).stdout.trim();
    ok(await etcdctl("put", changed, JSON.stringify({ ...JSON.parse(value), note: "edited by hand" })));
    ok(await etcdctl("del", upstreamKey("v2", 1)));
    const r = ok(await pulumi("refresh", "--yes", "--skip-preview", "--diff"));
    expect(r.stdout).toMatch(/app-v2-local-0-upstream[^\n]*(updated|update)/);
    expect(r.stdout).toMatch(/app-v2-local-1-upstream[^\n]*(deleted|delete)/);
    ok(await sh("./scripts/deploy", "--yes"));
    expect(JSON.parse((await etcdctl("get", "--print-value-only", changed)).stdout.trim())).toEqual(JSON.parse(value));
    expect(await upstreamKeys()).toEqual([upstreamKey("v2", 0), upstreamKey("v2", 1)]);
    await servesOnly("v2");
  }, STEP_MS);

  it("pulumi up --policy-pack policy: an unpinned image is a mandatory violation that blocks the update", async () => {
    const before = (await containers()).map((c) => c.Id).sort();
    ok(await pulumi("config", "set", "backend.image", "nginx"));
    const r = await pulumi("up", "--yes", "--policy-pack", "policy");
    ok(await pulumi("config", "rm", "backend.image"));
    expect(r.code, tail(r)).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/images-pinned/);
    expect((await containers()).map((c) => c.Id).sort()).toEqual(before);
    await servesOnly("v2");
  }, STEP_MS);

  it("a bad release is refused with the gateways' reason; v2 keeps every request", async () => {
    ok(await pulumi("config", "set", "backend.version", "v9"));
    ok(await pulumi("config", "set", "--path", "backend.env[0]", "FAIL_HEALTH=1"));
    const load = startLoad({ url: gatewayUrl, connections: 8 });
    const r = await sh("./scripts/deploy", "--yes");
    const result = await load.stop();
    ok(await pulumi("config", "set", "backend.version", "v2"));
    ok(await pulumi("config", "rm", "backend.env"));
    expect(r.code, tail(r)).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/app-v9-local-\d[\s\S]*unhealthy/);
    expect(result.failed).toBe(0);
    expect(result.records.every((x) => x.body?.startsWith("v2 "))).toBe(true);
    expect((await upstreamKeys()).filter((k) => k.includes("-v9-"))).toEqual([]);
  }, STEP_MS);

  it("./scripts/destroy --yes leaves no container, network, volume of the stack", async () => {
    ok(await sh("./scripts/destroy", "--yes"));
    expect(await containers()).toEqual([]);
    expect((await docker.listNetworks({ filters: { name: [prefix] } })).filter((n) => n.Name === prefix)).toEqual([]);
    expect((await docker.listVolumes({ filters: { label: [`switchyard.stack=${prefix}`] } })).Volumes ?? []).toEqual([]);
    const outputs = JSON.parse(ok(await pulumi("stack", "output", "--json")).stdout);
    expect(outputs).toEqual({});
  }, STEP_MS);
}
