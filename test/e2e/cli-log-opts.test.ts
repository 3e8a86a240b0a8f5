/**
 * kreuzwerker/terraform-provider-docker#873 under the real CLI: on a Docker daemon whose configuration sets
 * default log-opts, a container declared without log options reads back with them, and the next `pulumi up`
 * plans a replacement. The program's containers ignore `logOpts` (components/container-options.ts), which
 * this test proves on its own daemon: a dockerd of the test's own (data-root, exec-root, socket, containerd
 * namespace; no default bridge, no iptables), started with --log-opt, never the machine's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { engineBuilt, engineEnv, ROOT, run, tail } from "../engine/cli";
import { waitFor } from "../helpers/ports";
import { nsName } from "./fixture";

const PROGRAM = path.join(ROOT, "test/engine/fixtures/log-opts");
const STEP_MS = 10 * 60_000;
const name = nsName("sy-engine-logopts");
const dir = path.join(os.tmpdir(), name);
const sock = path.join(dir, "docker.sock");
let dockerd: ChildProcess | undefined;

const env = () => ({
  ...engineEnv(),
  DOCKER_HOST: `unix://${sock}`,
  PULUMI_BACKEND_URL: `file://${dir}/state`,
  PULUMI_CONFIG_PASSPHRASE: "log-opts-test",
});
const pulumi = (stack: string, ...args: string[]) => run(["pulumi", ...args, "--stack", stack, "--non-interactive", "--cwd", PROGRAM], { env: env() });
const changes = async (stack: string) => {
  const r = await pulumi(stack, "preview", "--json");
  expect(r.code, tail(r)).toBe(0);
  return (JSON.parse(r.stdout).steps as { op: string; urn: string }[]).filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`);
};

// Skipped until ./scripts/build-engine has run here (SWITCHYARD_ENGINE=1 ./scripts/setup-test-env).
describe.skipIf(!engineBuilt())("daemon log-opts under the real CLI", () => {
beforeAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(path.join(dir, "state"), { recursive: true });
  dockerd = spawn("dockerd", [
    `--data-root=${dir}/data`, `--exec-root=${dir}/exec`, `--pidfile=${dir}/dockerd.pid`, `--host=unix://${sock}`,
    `--containerd-namespace=${name}`, `--containerd-plugins-namespace=${name}-plugins`,
    "--bridge=none", "--iptables=false", "--ip-masq=false", "--config-file=/dev/null",
    "--log-driver=json-file", "--log-opt=max-size=10m", "--log-opt=max-file=2",
  ], { stdio: ["ignore", fs.openSync(path.join(dir, "dockerd.log"), "a"), fs.openSync(path.join(dir, "dockerd.log"), "a")] });
  await waitFor("the test's own dockerd", async () => (await run(["docker", "-H", `unix://${sock}`, "version"])).code === 0, 60_000, 500);
  // Its only image: the base image, copied from the machine's daemon.
  const load = await run(["sh", "-c", `docker save debian:bookworm-slim | docker -H unix://${sock} load`]);
  expect(load.code, tail(load)).toBe(0);
}, STEP_MS);

afterAll(async () => {
  for (const stack of ["plain", "immune"]) await pulumi(stack, "destroy", "--yes", "--skip-preview").catch(() => undefined);
  dockerd?.kill("SIGTERM");
  await new Promise((r) => dockerd?.once("exit", r) ?? r(undefined));
  fs.rmSync(dir, { recursive: true, force: true });
  for (const f of fs.readdirSync(PROGRAM).filter((x) => /^Pulumi\.(plain|immune)\.yaml$/.test(x))) fs.rmSync(path.join(PROGRAM, f));
}, STEP_MS);

for (const [stack, immune] of [["plain", false], ["immune", true]] as const) {
  it(`${immune ? "with" : "without"} ignoreChanges logOpts: the second up ${immune ? "changes nothing" : "replaces the container"}`, async () => {
    expect((await pulumi(stack, "stack", "init")).code).toBe(0);
    for (const [k, v] of [["name", `${name}-${stack}`], ["immune", String(immune)]]) expect((await pulumi(stack, "config", "set", k, v)).code).toBe(0);
    const up = await pulumi(stack, "up", "--yes", "--skip-preview");
    expect(up.code, tail(up)).toBe(0);
    // What the daemon filled in is what the provider reports.
    const out = await pulumi(stack, "stack", "output", "logOpts", "--json");
    expect(JSON.parse(out.stdout)).toEqual({ "max-file": "2", "max-size": "10m" });
    expect(await changes(stack)).toEqual(immune ? [] : ["replace sleeper"]);
  }, STEP_MS);
}
});
