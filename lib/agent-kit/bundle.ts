/**
 * Bundles an agent into one JavaScript file (for images, and for tests that run the artefact an image runs).
 * dockerode pulls in ssh2 (for ssh:// Docker hosts), whose optional native add-ons esbuild cannot bundle:
 * they stay external, and ssh2 falls back to pure JavaScript when they are absent (it `require`s them inside
 * try/catch). No agent uses ssh, so nothing is lost.
 *
 * etcd3 reads its gRPC definitions at run time from `${__dirname}/../proto/rpc.proto`; in a bundle __dirname
 * is the bundle's folder, so the bundle goes to <out>/bin/ and etcd3's proto files to <out>/proto/.
 */
import fs from "node:fs";
import path from "node:path";

/** Debian bookworm's nodejs. */
const NODE_TARGET = "node18";

/** Writes <outDir>/bin/<name>.js and <outDir>/proto/; returns the bundle's path. */
export function bundleAgent(projectRoot: string, entry: string, outDir: string, name: string): string {
  const outfile = path.join(outDir, "bin", `${name}.js`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  esbuild.buildSync({
    entryPoints: [path.join(projectRoot, entry)],
    outfile,
    bundle: true,
    platform: "node",
    target: NODE_TARGET,
    format: "cjs",
    external: ["*.node", "cpu-features"],
    logLevel: "error",
  });
  fs.cpSync(path.join(projectRoot, "node_modules/etcd3/proto"), path.join(outDir, "proto"), { recursive: true });
  return outfile;
}
