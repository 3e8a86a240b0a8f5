/**
 * Dynamic providers whose methods delegate to a bundled runtime (the Upstream and EtcdAccess providers).
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

/** What a bundled runtime module exports: the provider's operations (`remove` is delete). */
export interface ProviderRuntime {
  check: NonNullable<pulumi.dynamic.ResourceProvider["check"]>;
  diff: NonNullable<pulumi.dynamic.ResourceProvider["diff"]>;
  create: pulumi.dynamic.ResourceProvider["create"];
  read: NonNullable<pulumi.dynamic.ResourceProvider["read"]>;
  update: NonNullable<pulumi.dynamic.ResourceProvider["update"]>;
  remove: NonNullable<pulumi.dynamic.ResourceProvider["delete"]>;
}

/**
 * A provider object for the runtime in `dir`. Call it once, at module level, and export the result: the
 * methods capture only the bundle text, its hash and file name (strings) and the loader function.
 */
export function bundledProvider(dir: string, name: string): { provider: pulumi.dynamic.ResourceProvider; hash: string } {
  const code: string = buildRuntimeBundle(dir);
  const hash: string = crypto.createHash("sha256").update(code).digest("hex").slice(0, 16);
  /** Only used as the module's file name: for stack traces and as the fallback node_modules search root. */
  const filename: string = path.join(dir, `runtime.bundle.${hash}.js`);
  const slot = `__switchyard${name}Runtime_${hash}`;

  function runtime(): ProviderRuntime {
    const g = globalThis as unknown as Record<string, ProviderRuntime | undefined>;
    const cached = g[slot];
    if (cached) return cached;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const Module = require("module");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const nodePath = require("path");
    const m = new Module(filename);
    m.filename = filename;
    m.paths = [...Module._nodeModulePaths(process.cwd()), ...Module._nodeModulePaths(nodePath.dirname(filename))];
    m._compile(code, filename);
    g[slot] = m.exports as ProviderRuntime;
    return m.exports as ProviderRuntime;
  }

  const provider: pulumi.dynamic.ResourceProvider = {
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
  return { provider, hash };
}
