/**
 * The Upstream dynamic provider object: ONE module-level object whose methods delegate to the runtime bundle.
 *
 * Why a bundle, and not `require("../../lib/etcd/client")` inside the methods: Pulumi serializes the
 * provider's closure to text, and its dynamic-provider host (@pulumi/pulumi/cmd/dynamic-provider) evaluates
 * that text with `require-from-string` under the file name "" — so a relative require resolves against the
 * host's working directory, not this file; and the host registers no TypeScript loader, so requiring our .ts
 * sources by absolute path fails too (and would pin the state to this checkout's path). Instead, at program
 * start we compile runtime.ts and its imports (lib/etcd/*, lib/log.ts) with esbuild into one CommonJS text,
 * capture it as a string constant, and the methods evaluate it once per process. Packages stay external and
 * resolve from the node_modules of the host's working directory (the project), then of this checkout.
 *
 * Closure rules kept: the methods capture only string constants and the `runtime` function; they `require()`
 * only Node built-ins; the loaded runtime is cached on globalThis (keyed by its hash), never in a captured
 * variable, so serializing after a method ran in this process cannot drag a loaded module into the text.
 */
import type * as pulumi from "@pulumi/pulumi";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

type Runtime = typeof import("./runtime");

/** Compiles `dir`/runtime.ts and its local imports into one CommonJS text (packages external). */
export function buildRuntimeBundle(dir: string = __dirname): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  const out = esbuild.buildSync({
    // runtime.ts when run from source (ts-node, tsx, vitest); runtime.js when run from a tsc build.
    entryPoints: [["runtime.ts", "runtime.js"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f)) ?? path.join(dir, "runtime.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node18",
    packages: "external",
    write: false,
    minify: false,
    sourcemap: false,
    logLevel: "error",
  });
  return out.outputFiles[0].text;
}

const RUNTIME_CODE: string = buildRuntimeBundle();
const RUNTIME_HASH: string = crypto.createHash("sha256").update(RUNTIME_CODE).digest("hex").slice(0, 16);
/** Only used as the module's file name: for stack traces and as the fallback node_modules search root. */
const RUNTIME_FILENAME: string = path.join(__dirname, `runtime.bundle.${RUNTIME_HASH}.js`);

function runtime(): Runtime {
  const slot = `__switchyardUpstreamRuntime_${RUNTIME_HASH}`;
  const g = globalThis as unknown as Record<string, Runtime | undefined>;
  const cached = g[slot];
  if (cached) return cached;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Module = require("module");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const nodePath = require("path");
  const m = new Module(RUNTIME_FILENAME);
  m.filename = RUNTIME_FILENAME;
  m.paths = [...Module._nodeModulePaths(process.cwd()), ...Module._nodeModulePaths(nodePath.dirname(RUNTIME_FILENAME))];
  m._compile(RUNTIME_CODE, RUNTIME_FILENAME);
  g[slot] = m.exports as Runtime;
  return m.exports as Runtime;
}

export const upstreamProvider: pulumi.dynamic.ResourceProvider = {
  async check(olds, news) {
    return runtime().check(olds, news);
  },
  async diff(id, olds, news) {
    return runtime().diff(id, olds, news);
  },
  async create(inputs) {
    return runtime().create(inputs);
  },
  async read(id, props) {
    return runtime().read(id, props);
  },
  async update(id, olds, news) {
    return runtime().update(id, olds, news);
  },
  async delete(id, props) {
    return runtime().remove(id, props);
  },
};

/** For tests and the deployment harness: the hash of the runtime text captured in the provider. */
export const upstreamRuntimeHash = RUNTIME_HASH;
