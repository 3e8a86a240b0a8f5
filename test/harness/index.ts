/**
 * The deployment harness: `up` runs a Pulumi program (a function, or a program file such as index.ts) under
 * the SDK's mock runtime with a monitor that realizes every resource on a real Docker engine, keeping state
 * in a JSON file between runs like a stack's checkpoint; `destroy` deletes everything the state holds.
 * What it emulates and what not: README.md beside this file.
 */
import * as pulumi from "@pulumi/pulumi";
import { setAllConfig } from "@pulumi/pulumi/runtime/config";
import { setMockOptions } from "@pulumi/pulumi/runtime/settings";
import path from "node:path";
import { Deployment, type Step } from "./deployment";
import { HarnessMonitor } from "./monitor";
import { readProjectFiles } from "./project";
import { loadState, saveState } from "./state";

export type { Step } from "./deployment";

// Internal SDK functions (marked @internal, so absent from the .d.ts): the runtime's store of feature flags,
// and the wait for every outstanding resource RPC — what the language host does before it exits.
/* eslint-disable @typescript-eslint/no-require-imports */
const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): Record<string, unknown> };
const { waitForRPCs } = require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> };
/* eslint-enable @typescript-eslint/no-require-imports */

/** A program: what index.ts's top level does, as a function returning the stack outputs. */
export type Program = () => unknown;

export interface StackOptions {
  /** The JSON state file (the "backend"): created on the first up, read by the next. */
  stateFile: string;
  /** Default: the name in Pulumi.yaml next to a program file, else "switchyard". */
  project?: string;
  /** Default "dev". */
  stack?: string;
  /**
   * Config values; keys without a namespace get the project's ("backend.version"). For a program file they
   * override Pulumi.yaml's defaults and Pulumi.<stack>.yaml's values, which are read as the CLI reads them.
   */
  config?: Record<string, string>;
  /** Keys of `config` that are secrets. */
  secretKeys?: string[];
  /** Network for image builds that set no build.network. Default: SWITCHYARD_BUILD_NETWORK, else "host". */
  buildNetwork?: string;
}

export interface UpResult {
  outputs: Record<string, unknown>;
  steps: Step[];
}

export class DeploymentError extends Error {
  constructor(message: string, readonly steps: Step[], readonly causes: Error[]) {
    super(message);
  }
}

const defaults = (o: StackOptions) => ({
  project: o.project ?? "switchyard",
  stack: o.stack ?? "dev",
  buildNetwork: o.buildNetwork ?? process.env.SWITCHYARD_BUILD_NETWORK ?? "host",
});

export async function up(program: Program | string, opts: StackOptions): Promise<UpResult> {
  // A program file brings its project (Pulumi.yaml: name, config defaults) and stack file, as with the CLI.
  const files = typeof program === "string" ? readProjectFiles(program, opts.stack ?? "dev") : { config: {} };
  const { project, stack, buildNetwork } = defaults({ ...opts, project: opts.project ?? files.project });
  const state = loadState(opts.stateFile);
  const deployment = new Deployment(state, { project, buildNetwork, checkpoint: (s) => saveState(opts.stateFile, s) });
  configureRuntime(deployment, project, stack, opts, files.config);

  // A failed resource rejects the outputs that depend on it; the program itself goes on, like the engine's
  // "continue on error" for independent resources, and the failure is reported once everything settled.
  let outputs: Record<string, unknown> = {};
  let programError: Error | undefined;
  const trap = trapRejections();
  const run = (async () => {
    try {
      outputs = ((await pulumi.runtime.runInPulumiStack(async () => runProgram(program))) ?? {}) as Record<string, unknown>;
    } catch (e) {
      programError = e as Error;
    }
    await waitForRPCs().catch((e: Error) => (programError ??= e));
  })();
  await Promise.race([run, stalledAfterFailure(deployment, run)]);
  programError ??= (await trap.restore())[0];

  if (deployment.errors.length || programError) {
    saveState(opts.stateFile, deployment.snapshot());
    const causes = deployment.errors.length ? deployment.errors : [programError!];
    throw new DeploymentError(`update failed: ${causes.map((c) => c.message).join("; ")}`, deployment.steps, causes);
  }
  // Only a successful program run deletes what it no longer declares (as the engine does).
  await deployment.deleteLeftovers();
  saveState(opts.stateFile, deployment.snapshot(outputs));
  return { outputs, steps: deployment.steps };
}

export async function destroy(opts: StackOptions): Promise<{ steps: Step[] }> {
  const { project, buildNetwork } = defaults(opts);
  const deployment = new Deployment(loadState(opts.stateFile), { project, buildNetwork, checkpoint: (s) => saveState(opts.stateFile, s) });
  await deployment.destroyAll();
  saveState(opts.stateFile, { version: 1, resources: [], outputs: {} });
  return { steps: deployment.steps };
}

function configureRuntime(deployment: Deployment, project: string, stack: string, opts: StackOptions, fileConfig: Record<string, string>): void {
  setMockOptions(new HarnessMonitor(deployment), project, stack, false);
  // As setMocks does, minus resource references: inputs then arrive as plain URNs/ids, which is all the
  // realizers need, instead of live Resource objects that would have to be rehydrated.
  const store = getStore();
  store.supportsSecrets = true;
  store.supportsResourceReferences = false;
  store.supportsOutputValues = false;
  store.supportsDeletedWith = true;
  store.supportsAliasSpecs = true;
  const given = Object.fromEntries(Object.entries(opts.config ?? {}).map(([k, v]) => [k.includes(":") ? k : `${project}:${k}`, v]));
  const config = { ...fileConfig, ...given };
  const secret = (opts.secretKeys ?? []).map((k) => (k.includes(":") ? k : `${project}:${k}`));
  setAllConfig(config, secret);
}

/**
 * A function runs as is; a file is loaded in a fresh tsx namespace each run, so its top level (the program,
 * as with the CLI) runs again instead of coming from the module cache.
 */
let namespaceSeq = 0;
async function runProgram(program: Program | string): Promise<unknown> {
  if (typeof program === "function") return program();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { register } = require("tsx/cjs/api") as { register(o: { namespace: string }): { require(id: string, from: string): any } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  const exported = register({ namespace: `harness-${process.pid}-${++namespaceSeq}` }).require(path.resolve(program), __filename);
  // `export = async () => {...}` programs return their outputs; others export them.
  const value = typeof exported === "function" ? await exported() : typeof exported?.default === "function" ? await exported.default() : exported;
  return Object.fromEntries(Object.entries((value ?? {}) as object).filter(([k]) => k !== "__esModule" && k !== "default"));
}

/**
 * After a failed resource, parts of the program may wait forever on outputs that will never resolve; the
 * language host then exits with the error once nothing is left to run. The harness stops waiting once a
 * failure is recorded and no registration has moved for a while.
 */
function stalledAfterFailure(deployment: Deployment, run: Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (deployment.errors.length && deployment.idleFor() > 2_000) {
        clearInterval(timer);
        resolve();
      }
    }, 250);
    // Once the run is over the race is decided; this promise then simply never settles.
    void run.finally(() => clearInterval(timer));
  });
}

/**
 * Pulumi's language host installs process handlers that report a failed resource's rejected promises and
 * fail the run; the harness does the same for the duration of a run (a test runner would otherwise count
 * them as unhandled errors). Registration failures are already recorded by the deployment; anything else
 * is a program error.
 */
function trapRejections(): { restore(): Promise<Error[]> } {
  const saved = process.listeners("unhandledRejection");
  const other: Error[] = [];
  process.removeAllListeners("unhandledRejection");
  const trap = (reason: unknown) => {
    const err = reason instanceof Error ? reason : new Error(String(reason));
    if (!/^failed to register new resource /.test(err.message)) other.push(err);
  };
  process.on("unhandledRejection", trap);
  return {
    async restore() {
      // Rejections are reported after the microtask queue drains: let them arrive before handing back.
      await new Promise((r) => setTimeout(r, 10));
      process.off("unhandledRejection", trap);
      for (const l of saved) process.on("unhandledRejection", l);
      return other;
    },
  };
}
