/**
 * Images built by the program: the gateway, registrator and backend images. Each is a Dockerfile whose base
 * is a build argument (default debian:bookworm-slim) plus, for agents, one JavaScript bundle compiled here
 * with esbuild. Image builds therefore install only Debian packages (nodejs, nginx, haproxy) and never reach
 * an npm registry, which keeps them buildable where only a Debian mirror is reachable.
 */
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import fs from "node:fs";
import path from "node:path";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
export const DEFAULT_BASE_IMAGE = "debian:bookworm-slim";
/** Debian bookworm ships Node 18: the bundles target it. */
export const AGENT_NODE_TARGET = "node18";

export interface ContextSpec {
  /** Folder holding the Dockerfile and any static files, relative to the project root ("agents/gateway/image"). */
  dockerDir: string;
  /** Agent entry points to bundle into the context: output file name -> entry, relative to the project root. */
  bundles?: Record<string, string>;
}

/**
 * Makes the build context build/images/<name>/: the Dockerfile folder copied, each bundle compiled into it.
 * Synchronous and fast (esbuild), so the program can call it while declaring resources; a bundle that does
 * not compile fails `pulumi preview` with esbuild's message.
 */
export function prepareContext(name: string, spec: ContextSpec): string {
  const out = path.join(PROJECT_ROOT, "build", "images", name);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  fs.cpSync(path.join(PROJECT_ROOT, spec.dockerDir), out, { recursive: true });
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const esbuild = require("esbuild") as typeof import("esbuild");
  for (const [file, entry] of Object.entries(spec.bundles ?? {})) {
    esbuild.buildSync({
      entryPoints: [path.join(PROJECT_ROOT, entry)],
      outfile: path.join(out, file),
      bundle: true,
      platform: "node",
      target: AGENT_NODE_TARGET,
      format: "cjs",
      minify: false,
      sourcemap: false,
      logLevel: "error",
    });
  }
  return out;
}

export interface BuiltImageArgs extends ContextSpec {
  /** Full image name with tag, e.g. "switchyard-dev-gateway:<hash>". */
  imageName: string;
  baseImage: string;
  provider: docker.Provider;
}

/** Declares a locally built image (never pushed). The tag should change when the content does. */
export function builtImage(name: string, args: BuiltImageArgs, parent: pulumi.Resource): docker.Image {
  const context = prepareContext(name, args);
  return new docker.Image(name, {
    imageName: args.imageName,
    build: { context, dockerfile: path.join(context, "Dockerfile"), args: { BASE_IMAGE: args.baseImage }, platform: "linux/amd64" },
    skipPush: true,
  }, { parent, provider: args.provider });
}

/** A short content hash of a built context, used as the image tag so that a code change rolls the image. */
export function contextHash(dir: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const h = crypto.createHash("sha256");
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else h.update(path.relative(dir, p)).update(fs.readFileSync(p));
    }
  };
  walk(dir);
  return h.digest("hex").slice(0, 12);
}
