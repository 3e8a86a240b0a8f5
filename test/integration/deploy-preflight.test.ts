/**
 * The deploy and destroy commands cannot run end to end here (no Pulumi CLI), so this checks what they can:
 * their preflight messages, and — with a stand-in `pulumi` that records its calls — exactly what they would
 * ask the CLI to do, with which backend and passphrase settings.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(__dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-deploy-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A bin dir with a recording `pulumi`, and `docker` either real or failing. */
function binDir(name: string, opts: { pulumi: boolean; dockerWorks: boolean }): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.symlinkSync(process.execPath, path.join(dir, "node"));
  if (opts.pulumi) {
    fs.writeFileSync(path.join(dir, "pulumi"), `#!/bin/sh\necho "pulumi $* | backend=$PULUMI_BACKEND_URL | passfile=$PULUMI_CONFIG_PASSPHRASE_FILE" >> "${dir}/calls"\n`, { mode: 0o755 });
  }
  fs.writeFileSync(path.join(dir, "docker"), opts.dockerWorks ? "#!/bin/sh\nexit 0\n" : "#!/bin/sh\necho 'Cannot connect to the Docker daemon' >&2\nexit 1\n", { mode: 0o755 });
  return dir;
}

function run(script: string, bin: string, env: Record<string, string> = {}, args: string[] = []) {
  const r = spawnSync("bash", [path.join(ROOT, "scripts", script), ...args], {
    // Never `npm ci` from a test: it would replace node_modules (and empty a shared one behind a symlink).
    env: { PATH: `${bin}:/usr/bin:/bin`, HOME: tmp, SWITCHYARD_STATE_DIR: path.join(tmp, "state"), SWITCHYARD_SKIP_NPM_CI: "1", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
  const callsFile = path.join(bin, "calls");
  return { code: r.status, out: r.stdout + r.stderr, calls: fs.existsSync(callsFile) ? fs.readFileSync(callsFile, "utf8").trim().split("\n") : [] };
}

describe("scripts/deploy and scripts/destroy", () => {
  it("stop at once when the Pulumi CLI is missing, saying what to install", () => {
    const r = run("deploy", binDir("no-pulumi", { pulumi: false, dockerWorks: true }));
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/the Pulumi CLI is not installed\. Install it/);
  });

  it("stop at once when no Docker daemon answers, naming DOCKER_HOST", () => {
    const r = run("deploy", binDir("no-docker", { pulumi: true, dockerWorks: false }), { DOCKER_HOST: "tcp://127.0.0.1:1" });
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/cannot reach a Docker daemon at DOCKER_HOST=tcp:\/\/127\.0\.0\.1:1\. Start Docker/);
    expect(r.calls).toEqual([]);
  });

  it("STACK=aws (Pulumi.aws.yaml, target aws) needs ssh but no local Docker daemon", () => {
    const bin = binDir("aws", { pulumi: true, dockerWorks: false });
    fs.writeFileSync(path.join(bin, "ssh"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    const r = run("deploy", bin, { STACK: "aws" }, ["--yes"]);
    expect(r.code, r.out).toBe(0);
    expect(r.calls.map((c) => c.split(" | ")[0])).toEqual(["pulumi stack select --create aws", "pulumi up --stack aws --yes"]);
  });

  it("deploy: local file backend, a private passphrase file, the dev stack, then pulumi up", () => {
    const bin = binDir("ok", { pulumi: true, dockerWorks: true });
    const r = run("deploy", bin, {}, ["--yes"]);
    expect(r.code, r.out).toBe(0);
    const state = path.join(tmp, "state");
    // The passphrase lives outside the state folder it decrypts (HOME is tmp here): ~/.config/switchyard.
    const dir = path.join(tmp, ".config", "switchyard");
    const files = fs.readdirSync(dir);
    expect(files).toEqual([expect.stringMatching(/^passphrase-[0-9a-f]{16}$/)]);
    const passfile = path.join(dir, files[0]);
    const tail = `| backend=file://${state} | passfile=${passfile}`;
    expect(r.calls).toEqual([`pulumi stack select --create dev ${tail}`, `pulumi up --stack dev --yes ${tail}`]);
    expect(fs.statSync(passfile).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.readdirSync(state)).not.toContain("passphrase");
  });

  it("moves a passphrase an older version left in the state folder out of it, keeping its value", () => {
    const bin = binDir("migrate", { pulumi: true, dockerWorks: true });
    const state = path.join(tmp, "state-old");
    fs.mkdirSync(state, { recursive: true });
    fs.writeFileSync(path.join(state, "passphrase"), "old-secret\n", { mode: 0o600 });
    const r = run("deploy", bin, { SWITCHYARD_STATE_DIR: state, SWITCHYARD_PASSPHRASE_DIR: path.join(tmp, "pp") }, ["--yes"]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain("moved the secrets passphrase out of the state folder");
    expect(fs.existsSync(path.join(state, "passphrase"))).toBe(false);
    const [moved] = fs.readdirSync(path.join(tmp, "pp"));
    expect(fs.readFileSync(path.join(tmp, "pp", moved), "utf8")).toBe("old-secret\n");
    expect(r.calls[0]).toContain(`passfile=${path.join(tmp, "pp", moved)}`);
  });

  it("respects PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE and STACK; destroy targets the same stack", () => {
    const bin = binDir("custom", { pulumi: true, dockerWorks: true });
    const env = { PULUMI_BACKEND_URL: "s3://bucket/state", PULUMI_CONFIG_PASSPHRASE: "x", STACK: "staging" };
    expect(run("deploy", bin, env).code).toBe(0);
    expect(run("destroy", bin, env, ["--yes"]).code).toBe(0);
    const calls = fs.readFileSync(path.join(bin, "calls"), "utf8").trim().split("\n");
    expect(calls).toEqual([
      "pulumi stack select --create staging | backend=s3://bucket/state | passfile=",
      "pulumi up --stack staging | backend=s3://bucket/state | passfile=",
      "pulumi stack select staging | backend=s3://bucket/state | passfile=",
      "pulumi destroy --stack staging --yes | backend=s3://bucket/state | passfile=",
    ]);
  });
});
