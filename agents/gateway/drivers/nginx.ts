/**
 * nginx driver (confd's "resource" stage for nginx): render → `nginx -t` on the staged file → atomic rename →
 * start or HUP (graceful reload). Membership goes through the Lua admin endpoint on a unix socket: the peers
 * file is rewritten atomically, then the workers reload it into the shared dict — no reload, so keep-alive
 * clients never see a connection closed by a retiring worker.
 */
import fs from "node:fs";
import http from "node:http";
import path from "node:path";
import type { Logger } from "../../../lib/log";
import type { Metrics } from "../metrics";
import { BUILTIN_TEMPLATES, pathsIn, renderConfig, renderNginxPeers, type RenderSettings } from "../render";
import type { ProxyView } from "../view";
import { findRunningMaster, runCommand, Supervised, until, writeAtomic } from "./process";
import { childPids, waitStoppedListening } from "./retire";
import { ApplyError, type ProxyDriver } from "./types";

export interface NginxDriverOptions {
  settings: RenderSettings;
  /** User template file; read at every render so an operator can change it (confd-style). */
  templateFile?: string;
  nginxBinary: string;
  log: Logger;
  metrics: Metrics;
}

/** One HTTP request over the admin unix socket. */
export function adminRequest(socketPath: string, method: string, urlPath: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: timeoutMs, agent: false }, (res) => {
      let body = "";
      res.on("data", (d) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on("timeout", () => req.destroy(new Error(`admin ${urlPath} timed out`)));
    req.on("error", reject);
    req.end();
  });
}

export class NginxDriver implements ProxyDriver {
  readonly kind = "nginx" as const;
  onRestart?: () => void;
  private readonly paths;
  private readonly confFile;
  private readonly proc: Supervised;
  private generation?: string;

  constructor(private readonly o: NginxDriverOptions) {
    const dir = o.settings.workDir;
    this.paths = pathsIn(dir);
    this.confFile = path.join(dir, "nginx.conf");
    for (const sub of ["tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"]) fs.mkdirSync(path.join(dir, sub), { recursive: true });
    this.proc = new Supervised(
      "nginx",
      o.nginxBinary,
      () => ["-p", dir, "-c", this.confFile, "-e", path.join(dir, "nginx-error.log"), "-g", "daemon off;"],
      path.join(dir, "nginx.out"),
      o.log,
      () => fs.rmSync(this.paths.adminSocket, { force: true }),
      () => {
        o.metrics.failures.inc({ stage: "proxy_exit" });
        this.proc.restartSoon(500, () => void this.waitGeneration(15_000).then(() => this.onRestart?.()));
      },
    );
    // An nginx left by a previous agent keeps serving; the first apply reloads it gracefully.
    const running = findRunningMaster(path.join(dir, "nginx.pid"), this.confFile);
    if (running) this.proc.adopt(running);
  }

  running(): boolean {
    return this.proc.running();
  }

  private template(): string {
    if (!this.o.templateFile) return BUILTIN_TEMPLATES.nginx;
    try {
      return fs.readFileSync(this.o.templateFile, "utf8");
    } catch (e) {
      throw new ApplyError("render", `cannot read template ${this.o.templateFile}: ${(e as Error).message}`);
    }
  }

  private async waitGeneration(timeoutMs: number): Promise<boolean> {
    const want = this.generation;
    return until(async () => (await adminRequest(this.paths.adminSocket, "GET", "/generation", 1000)).body === want, timeoutMs);
  }

  async applyStructure(view: ProxyView): Promise<void> {
    const { metrics } = this.o;
    let rendered;
    try {
      rendered = renderConfig(this.template(), view, this.o.settings);
    } catch (e) {
      metrics.renders.inc({ result: "error" });
      throw e instanceof ApplyError ? e : new ApplyError("render", `template error: ${(e as Error).message}`);
    }
    const staged = `${this.confFile}.staged`;
    fs.writeFileSync(staged, rendered.text);
    const check = await runCommand(this.o.nginxBinary, ["-t", "-q", "-p", this.o.settings.workDir, "-c", staged, "-e", path.join(this.o.settings.workDir, "nginx-error.log")]);
    if (check.code !== 0) {
      metrics.renders.inc({ result: "invalid" });
      throw new ApplyError("validate", `nginx -t rejected the rendered config: ${lastLines(check.output)}`);
    }
    metrics.renders.inc({ result: "ok" });
    // Peers before the swap: the (re)starting master runs init_by_lua, which loads them into the shared dict.
    writeAtomic(this.paths.peersFile, renderNginxPeers(view));
    fs.renameSync(staged, this.confFile);
    this.generation = rendered.generation;
    if (!this.proc.running()) {
      this.proc.start();
      if (!(await this.waitGeneration(15_000))) {
        metrics.reloads.inc({ result: "error" });
        throw new ApplyError("start", `nginx did not come up; see ${path.join(this.o.settings.workDir, "nginx-error.log")}`);
      }
      return;
    }
    const oldWorkers = this.proc.pid ? childPids(this.proc.pid) : [];
    this.proc.signal("SIGHUP");
    if (!(await this.waitGeneration(15_000))) {
      metrics.reloads.inc({ result: "error" });
      throw new ApplyError("reload", `nginx did not load generation ${rendered.generation}; see nginx-error.log`);
    }
    if (!(await waitStoppedListening(oldWorkers, this.o.settings.listenPort, 5000))) {
      this.o.log.warn({ oldWorkers }, "old nginx workers still listen 5 s after the reload");
    }
    metrics.reloads.inc({ result: "ok" });
  }

  async applyMembership(view: ProxyView): Promise<void> {
    writeAtomic(this.paths.peersFile, renderNginxPeers(view));
    try {
      const res = await adminRequest(this.paths.adminSocket, "POST", "/peers");
      if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body}`);
      this.o.metrics.runtimeUpdates.inc({ result: "ok" });
    } catch (e) {
      this.o.metrics.runtimeUpdates.inc({ result: "error" });
      throw new ApplyError("runtime", `nginx peers update failed: ${(e as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    // SIGQUIT: graceful shutdown (finish in-flight requests).
    await this.proc.stop("SIGQUIT", 5000);
  }
}

export function lastLines(text: string, n = 4): string {
  return text.split("\n").filter(Boolean).slice(-n).join(" | ");
}
