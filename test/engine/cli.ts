/**
 * The real Pulumi CLI for tests: the environment scripts/build-engine wrote (build/engine/env: PATH with the
 * CLI, its language host and the dynamic-provider plugin, a PULUMI_HOME holding the docker and tls provider
 * doubles) and a runner that keeps each command's output for the failure message.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export const ROOT = path.resolve(__dirname, "../..");
export const ENGINE_DIR = path.join(ROOT, "build", "engine");
const ENV_FILE = path.join(ENGINE_DIR, "env");

/** Whether scripts/build-engine has run in this checkout (the real-CLI tests skip otherwise). */
export const engineBuilt = () => fs.existsSync(ENV_FILE);

/** The variables build/engine/env exports, with $PATH expanded: one copy, the script's. */
export function engineEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  if (!fs.existsSync(ENV_FILE)) {
    throw new Error(`the real Pulumi CLI is not set up (${ENV_FILE} is missing): run ./scripts/build-engine (./scripts/setup-test-env does)`);
  }
  const env: NodeJS.ProcessEnv = { ...base };
  for (const line of fs.readFileSync(ENV_FILE, "utf8").split("\n")) {
    const m = line.match(/^export ([A-Z_]+)="(.*)"$/);
    if (m) env[m[1]] = m[2].replace(/\\?\$PATH/g, base.PATH ?? "");
  }
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** The command line, for messages. */
  command: string;
}

/** Runs a command (a script or `pulumi ...`) to completion; never throws for a non-zero exit. */
export function run(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const command = argv.join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd ?? ROOT, env: opts.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGINT"), opts.timeoutMs ?? 600_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, command });
    });
  });
}

/** The last lines of a command's output, for an assertion's message. */
export const tail = (r: CliResult, lines = 60) => `$ ${r.command} (exit ${r.code})\n${`${r.stdout}\n${r.stderr}`.trim().split("\n").slice(-lines).join("\n")}`;
