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
import { settingDefault } from "../config/settings";

export const PROJECT_ROOT = path.resolve(__dirname, "..");
/** The `baseImage` setting's default: config/settings.ts is the one source. */
export const DEFAULT_BASE_IMAGE = settingDefault<string>("baseImage");
/** Debian bookworm ships Node 18: the bundles target it. */
export const AGENT_NODE_TARGET = "node18";

export interface ContextSpec {
  /** Folder holding the Dockerfile and any static files, relative to the project root ("agents/gateway/image"). */
  dockerDir: string;
  /** Agent entry points to bundle into the context: output file name -> entry, relative to the project root. */
  bundles?: Record<string, string>;
  /** Adds what a copy and a bundle cannot (e.g. files a bundled library reads at run time). */
  finish?: (dir: string) => void;
}

const IMAGES_DIR = path.join(PROJECT_ROOT, "build", "images");
/** Contexts older than this are pruned when a new one is made; no build takes that long. */
const STALE_CONTEXT_MS = 24 * 3600 * 1000;

/**
 * Makes the build context: the Dockerfile folder copied, each bundle compiled into it, `finish` applied — in
 * a staging folder, then renamed to build/images/<name>-<content hash>. Content-addressed, so two program
 * runs at once (two stacks, a test beside a deploy) never empty a context the other is building from.
 * Synchronous and fast (esbuild), so the program can call it while declaring resources; a bundle that does
 * not compile fails `pulumi preview` with esbuild's message.
 */
export function prepareContext(name: string, spec: ContextSpec): string {
  // One program run declares each image once, but tests run the program many times in one process: reuse a
  // context made from the same spec while no source file changed.
  const memoKey = `${name}|${JSON.stringify({ dockerDir: spec.dockerDir, bundles: spec.bundles })}|${spec.finish?.toString() ?? ""}|${sourceStamp(spec.dockerDir)}`;
  const memo = contextMemo();
  const cached = memo.get(memoKey);
  if (cached && fs.existsSync(cached)) return cached;
  const made = makeContext(name, spec);
  memo.set(memoKey, made);
  return made;
}

/** Survives vitest's module resets (each test run of the program loads this module afresh). */
function contextMemo(): Map<string, string> {
  const g = globalThis as { __switchyardContexts?: Map<string, string> };
  return (g.__switchyardContexts ??= new Map());
}

/** Newest modification time and count of the files an image is made from (agents/, lib/, the Dockerfile folder). */
function sourceStamp(dockerDir: string): string {
  let newest = 0;
  let count = 0;
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === "node_modules") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        newest = Math.max(newest, fs.statSync(p).mtimeMs);
        count++;
      }
    }
  };
  for (const d of ["agents", "lib", dockerDir]) if (fs.existsSync(path.join(PROJECT_ROOT, d))) walk(path.join(PROJECT_ROOT, d));
  return `${newest}:${count}`;
}

function makeContext(name: string, spec: ContextSpec): string {
  fs.mkdirSync(IMAGES_DIR, { recursive: true });
  const staging = fs.mkdtempSync(path.join(IMAGES_DIR, `.staging-${name}-`));
  try {
    fs.cpSync(path.join(PROJECT_ROOT, spec.dockerDir), staging, { recursive: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const esbuild = require("esbuild") as typeof import("esbuild");
    for (const [file, entry] of Object.entries(spec.bundles ?? {})) {
      esbuild.buildSync({
        entryPoints: [path.join(PROJECT_ROOT, entry)],
        outfile: path.join(staging, file),
        bundle: true,
        platform: "node",
        target: AGENT_NODE_TARGET,
        format: "cjs",
        minify: false,
        sourcemap: false,
        logLevel: "error",
      });
    }
    spec.finish?.(staging);
    const final = path.join(IMAGES_DIR, `${name}-${contextHash(staging)}`);
    if (!fs.existsSync(final)) {
      try {
        fs.renameSync(staging, final);
      } catch (e) {
        // Another run made the same context first: use theirs.
        if (!fs.existsSync(final)) throw e;
      }
    }
    pruneStaleContexts(name, final);
    return final;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

function pruneStaleContexts(name: string, keep: string): void {
  const cutoff = Date.now() - STALE_CONTEXT_MS;
  for (const entry of fs.readdirSync(IMAGES_DIR)) {
    const p = path.join(IMAGES_DIR, entry);
    if (p === keep || !entry.startsWith(`${name}-`)) continue;
    try {
      if (fs.statSync(p).mtimeMs < cutoff) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}

export interface BuiltImageArgs {
  /** A context made by prepareContext. */
  context: string;
  /** Image name without the tag, e.g. "switchyard-dev-backend"; the tag is imageTag(...). */
  repository: string;
  baseImage: string;
  /**
   * Target platform ("linux/arm64"). Undefined builds for the Docker host's own platform: the daemon that
   * builds is the one that runs the containers, so its native platform is the right default (a hard-coded
   * linux/amd64 failed with `exec format error` on arm64 hosts, or ran under emulation).
   */
  platform?: string;
  provider: docker.Provider;
}

/**
 * Declares a locally built image (never pushed) and the base image it is built FROM. The base is a
 * RemoteImage on the same daemon (used if present, pulled otherwise, kept on destroy) so that the tag can
 * include the base's image ID: a changed base image (after `pulumi refresh`, or a new digest in baseImage)
 * makes a new tag, and the containers roll to the rebuilt image.
 */
export function builtImage(name: string, args: BuiltImageArgs, parent: pulumi.Resource): docker.Image {
  const platform = args.platform ? { platform: args.platform } : {};
  const base = new docker.RemoteImage(`${name}-base`, { name: args.baseImage, keepLocally: true, ...platform }, { parent, provider: args.provider });
  const content = contextHash(args.context);
  const tag = base.imageId.apply((baseImageId) => imageTag({ content, baseImage: args.baseImage, baseImageId, platform: args.platform }));
  return new docker.Image(name, {
    imageName: pulumi.interpolate`${args.repository}:${tag}`,
    build: { context: args.context, dockerfile: path.join(args.context, "Dockerfile"), args: { BASE_IMAGE: args.baseImage }, ...platform },
    skipPush: true,
  }, { parent, provider: args.provider, dependsOn: [base] });
}

/**
 * The tag of a built image: a hash of everything the image is made of — the context's content, the base
 * image's name and ID (digest), and the platform. Pure.
 */
export function imageTag(a: { content: string; baseImage: string; baseImageId?: string; platform?: string }): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  return crypto.createHash("sha256").update(a.content).update("\0").update(a.baseImage).update("\0").update(a.baseImageId ?? "").update("\0").update(a.platform ?? "").digest("hex").slice(0, 12);
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
