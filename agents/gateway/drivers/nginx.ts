/**
 * nginx driver: the shared pipeline (pipeline.ts) with `nginx -t` and SIGHUP; membership goes through the Lua
 * admin endpoint on a unix socket: the peers file is rewritten atomically, then the workers reload it into the
 * shared dict — no reload, so keep-alive clients never see a connection closed by a retiring worker.
 */
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../../../lib/log";
import type { Metrics } from "../metrics";
import { ProxyPipeline } from "../pipeline";
import { nginxPeerLines, nginxPeersDelta, pathsIn, renderNginxPeers, type RenderSettings } from "../render";
import { backendName, type ProxyView } from "../view";
import { writeAtomic } from "./process";
import { ApplyError, type AdoptedProxy, type ProxyDriver, type RoutedServer } from "./types";

export interface NginxDriverOptions {
  settings: RenderSettings;
  /** User template file; read at every render so an operator can change it (confd-style). */
  templateFile?: string;
  nginxBinary: string;
  log: Logger;
  metrics: Metrics;
}

/** One HTTP request over the admin unix socket. */
export function adminRequest(socketPath: string, method: string, urlPath: string, timeoutMs = 3000, body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on("timeout", () => req.destroy(new Error(`admin ${urlPath} timed out`)));
    req.on("error", reject);
    req.end(body);
  });
}

/** Pure: peers lines ("service sticky name host port weight ...", as renderNginxPeers writes) → routed servers. */
export function parseNginxPeers(text: string): RoutedServer[] {
  const out: RoutedServer[] = [];
  for (const line of text.split("\n")) {
    const t = line.trim().split(/\s+/).filter(Boolean);
    if (t.length < 2) continue;
    for (let i = 2; i + 3 < t.length; i += 4) {
      const port = Number(t[i + 2]);
      if (!Number.isInteger(port)) continue;
      out.push({ backend: backendName(t[0]), server: t[i], host: t[i + 1], port, enabled: true });
    }
  }
  return out;
}

export class NginxDriver implements ProxyDriver {
  readonly kind = "nginx" as const;
  onRestart?: () => void;
  private readonly paths;
  private readonly pipeline: ProxyPipeline;
  /** The peer lines nginx's shared dict holds, when known: incremental updates are computed against them. */
  private loaded?: Map<string, string>;

  constructor(private readonly o: NginxDriverOptions) {
    const dir = o.settings.workDir;
    const paths = pathsIn(dir);
    this.paths = paths;
    const configFile = path.join(dir, "nginx.conf");
    const errorLog = path.join(dir, "nginx-error.log");
    for (const sub of ["tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    this.pipeline = new ProxyPipeline({
      kind: "nginx",
      binary: o.nginxBinary,
      configFile,
      pidFile: path.join(dir, "nginx.pid"),
      outFile: path.join(dir, "nginx.out"),
      errorLog,
      startArgs: () => ["-p", dir, "-c", configFile, "-e", errorLog, "-g", "daemon off;"],
      validateArgs: (staged) => ["-t", "-q", "-p", dir, "-c", staged, "-e", errorLog],
      validateLabel: "nginx -t",
      reloadSignal: "SIGHUP",
      // SIGQUIT: graceful shutdown (finish in-flight requests).
      stopSignal: "SIGQUIT",
      beforeStart: () => fs.rmSync(paths.adminSocket, { force: true }),
      loadedMarker: async () => (await adminRequest(paths.adminSocket, "GET", "/generation", 1000)).body,
      tookEffect: (marker, _before, generation) => marker === generation,
      // Peers before the swap: the (re)starting master runs init_by_lua, which loads them into the shared dict.
      beforeSwap: (view) => {
        writeAtomic(paths.peersFile, renderNginxPeers(view));
        // The reloading master loads the whole file, if the reload works: the next update sends it whole too.
        this.loaded = undefined;
      },
    }, o);
    this.pipeline.onRestart = () => this.onRestart?.();
  }

  running(): boolean {
    return this.pipeline.running();
  }

  /** What the adopted nginx's shared dict routes (its admin endpoint), else the peers file it loaded last. */
  async adopt(): Promise<AdoptedProxy | undefined> {
    if (!this.pipeline.adopted) return undefined;
    let text: string | undefined;
    try {
      const res = await adminRequest(this.paths.adminSocket, "GET", "/peers/current", 1000);
      if (res.status === 200) text = res.body;
    } catch {
      /* an older or user template without the dump location: fall back to the file */
    }
    if (text === undefined) {
      try {
        text = fs.readFileSync(this.paths.peersFile, "utf8");
      } catch {
        text = "";
      }
    }
    return { structure: this.pipeline.adoptedStructure(), servers: parseNginxPeers(text) };
  }

  applyStructure(view: ProxyView): Promise<void> {
    return this.pipeline.apply(view);
  }

  async applyMembership(view: ProxyView): Promise<void> {
    const lines = nginxPeerLines(view);
    // The file first (what a restart loads), then only the services that changed into the shared dict; with
    // nothing known to be loaded (adopted nginx, a failed update), the whole file.
    writeAtomic(this.paths.peersFile, [...lines.values()].join("\n") + "\n");
    const delta = this.loaded ? nginxPeersDelta(this.loaded, lines) : undefined;
    if (delta === "") return;
    this.loaded = undefined;
    try {
      const res = await adminRequest(this.paths.adminSocket, "POST", "/peers", 3000, delta);
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
      this.loaded = lines;
      this.o.metrics.runtimeUpdates.inc({ result: "ok" });
    } catch (e) {
      this.o.metrics.runtimeUpdates.inc({ result: "error" });
      throw new ApplyError("runtime", `nginx peers update failed: ${(e as Error).message}`);
    }
  }

  stop(): Promise<void> {
    return this.pipeline.stop();
  }
}
