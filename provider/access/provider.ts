/**
 * The EtcdAccess dynamic provider object. Same construction as the Upstream provider (see
 * provider/upstream/provider.ts for why): runtime.ts and lib/etcd/* are bundled into one text at program
 * start, captured as a string constant, evaluated once per process; the methods capture nothing else.
 */
import type * as pulumi from "@pulumi/pulumi";
import crypto from "node:crypto";
import path from "node:path";
import { buildRuntimeBundle } from "../upstream/provider";

type Runtime = typeof import("./runtime");

const RUNTIME_CODE: string = buildRuntimeBundle(__dirname);
const RUNTIME_HASH: string = crypto.createHash("sha256").update(RUNTIME_CODE).digest("hex").slice(0, 16);
const RUNTIME_FILENAME: string = path.join(__dirname, `runtime.bundle.${RUNTIME_HASH}.js`);

function runtime(): Runtime {
  const slot = `__switchyardAccessRuntime_${RUNTIME_HASH}`;
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

export const accessProvider: pulumi.dynamic.ResourceProvider = {
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
