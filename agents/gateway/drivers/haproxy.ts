/**
 * haproxy driver. Structure: render → `haproxy -c -f` on the staged file → atomic rename → start (master-worker,
 * -W) or SIGUSR2 to the master (seamless reload, listeners passed over). Membership: runtime API commands
 * (add/enable/disable/set addr/del server) — no reload; then the config file is re-rendered with the same
 * servers and states, validated and swapped in, so that a later reload or restart loses nothing.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../../../lib/log";
import type { Metrics } from "../metrics";
import { BUILTIN_TEMPLATES, pathsIn, renderConfig, type RenderSettings } from "../render";
import type { ProxyView } from "../view";
import { haproxyCommand, planRuntime, runtimeError, stateFromView, type RuntimeState } from "./haproxy-runtime";
import { lastLines } from "./nginx";
import { findRunningMaster, runCommand, Supervised, until } from "./process";
import { childPids, waitStoppedListening } from "./retire";
import { ApplyError, type ProxyDriver } from "./types";

export interface HaproxyDriverOptions {
  settings: RenderSettings;
  templateFile?: string;
  haproxyBinary: string;
  log: Logger;
  metrics: Metrics;
}

export class HaproxyDriver implements ProxyDriver {
  readonly kind = "haproxy" as const;
  onRestart?: () => void;
  private readonly socket;
  private readonly confFile;
  private readonly proc: Supervised;
  private state: RuntimeState = new Map();
  /** The state the config file on disk describes (what a restart would come up with). */
  private diskState: RuntimeState = new Map();

  constructor(private readonly o: HaproxyDriverOptions) {
    const dir = o.settings.workDir;
    fs.mkdirSync(dir, { recursive: true });
    this.socket = pathsIn(dir).statsSocket;
    this.confFile = path.join(dir, "haproxy.cfg");
    this.proc = new Supervised(
      "haproxy",
      o.haproxyBinary,
      () => ["-W", "-f", this.confFile],
      path.join(dir, "haproxy.out"),
      o.log,
      () => fs.rmSync(this.socket, { force: true }),
      () => {
        o.metrics.failures.inc({ stage: "proxy_exit" });
        this.proc.restartSoon(500, () => {
          this.state = new Map([...this.diskState].map(([k, v]) => [k, { ...v }]));
          void this.workerPid(15_000).then(() => this.onRestart?.());
        });
      },
    );
    // A haproxy left by a previous agent keeps serving; the first apply reloads it gracefully.
    const running = findRunningMaster(path.join(dir, "haproxy.pid"), this.confFile);
    if (running) this.proc.adopt(running);
  }

  running(): boolean {
    return this.proc.running();
  }

  private template(): string {
    if (!this.o.templateFile) return BUILTIN_TEMPLATES.haproxy;
    try {
      return fs.readFileSync(this.o.templateFile, "utf8");
    } catch (e) {
      throw new ApplyError("render", `cannot read template ${this.o.templateFile}: ${(e as Error).message}`);
    }
  }

  /** The current worker's pid, from `show info` (changes when a reload has taken effect). */
  private async workerPid(timeoutMs: number, notEqual?: string): Promise<string | undefined> {
    let pid: string | undefined;
    const ok = await until(async () => {
      const info = await haproxyCommand(this.socket, "show info", 1000);
      pid = /^Pid: (\d+)/m.exec(info)?.[1];
      return pid !== undefined && pid !== notEqual;
    }, timeoutMs);
    return ok ? pid : undefined;
  }

  /** Renders and validates; returns the staged file path. */
  private async stage(view: ProxyView): Promise<string> {
    const { metrics } = this.o;
    let text: string;
    try {
      text = renderConfig(this.template(), view, this.o.settings).text;
    } catch (e) {
      metrics.renders.inc({ result: "error" });
      throw e instanceof ApplyError ? e : new ApplyError("render", `template error: ${(e as Error).message}`);
    }
    const staged = `${this.confFile}.staged`;
    fs.writeFileSync(staged, text);
    const check = await runCommand(this.o.haproxyBinary, ["-c", "-q", "-f", staged]);
    if (check.code !== 0) {
      metrics.renders.inc({ result: "invalid" });
      throw new ApplyError("validate", `haproxy -c rejected the rendered config: ${lastLines(check.output)}`);
    }
    metrics.renders.inc({ result: "ok" });
    return staged;
  }

  async applyStructure(view: ProxyView): Promise<void> {
    const staged = await this.stage(view);
    fs.renameSync(staged, this.confFile);
    this.diskState = stateFromView(view);
    if (!this.proc.running()) {
      this.proc.start();
      if (!(await this.workerPid(15_000))) {
        this.o.metrics.reloads.inc({ result: "error" });
        throw new ApplyError("start", `haproxy did not come up; see ${path.join(this.o.settings.workDir, "haproxy.out")}`);
      }
      this.state = stateFromView(view);
      return;
    }
    const before = await this.workerPid(3000);
    const oldWorkers = this.proc.pid ? childPids(this.proc.pid) : [];
    this.proc.signal("SIGUSR2");
    if (!(await this.workerPid(15_000, before))) {
      this.o.metrics.reloads.inc({ result: "error" });
      throw new ApplyError("reload", `haproxy did not reload; see ${path.join(this.o.settings.workDir, "haproxy.out")}`);
    }
    if (!(await waitStoppedListening(oldWorkers, this.o.settings.listenPort, 5000))) {
      this.o.log.warn({ oldWorkers }, "old haproxy workers still listen 5 s after the reload");
    }
    this.o.metrics.reloads.inc({ result: "ok" });
    this.state = stateFromView(view);
  }

  async applyMembership(view: ProxyView): Promise<void> {
    const ops = planRuntime(this.state, view);
    for (const op of ops) {
      let response: string;
      try {
        response = await haproxyCommand(this.socket, op.command);
      } catch (e) {
        this.o.metrics.runtimeUpdates.inc({ result: "error" });
        throw new ApplyError("runtime", `haproxy runtime API '${op.command}': ${(e as Error).message}`);
      }
      const err = runtimeError(op.command, response);
      if (err) {
        if (op.mayFail) {
          const k = op.command.split(" ").pop()!;
          const cur = this.state.get(k);
          if (cur) cur.delFailures = (cur.delFailures ?? 0) + 1;
          this.o.log.info({ command: op.command, response: err }, "runtime command deferred (server still draining)");
          continue;
        }
        this.o.metrics.runtimeUpdates.inc({ result: "error" });
        throw new ApplyError("runtime", `haproxy runtime API '${op.command}': ${err}`);
      }
      op.apply(this.state);
    }
    for (const k of stateFromView(view).keys()) {
      const cur = this.state.get(k);
      if (cur) cur.delFailures = 0;
    }
    if (ops.length) this.o.metrics.runtimeUpdates.inc({ result: "ok" });
    // Keep the file on disk in step with what runs, without reloading.
    const staged = await this.stage(view);
    fs.renameSync(staged, this.confFile);
    this.diskState = stateFromView(view);
  }

  /** True while a removed server could not be deleted yet (still has connections). */
  pendingWork(): boolean {
    return [...this.state.values()].some((s) => (s.delFailures ?? 0) > 0);
  }

  async stop(): Promise<void> {
    await this.proc.stop("SIGTERM", 5000);
  }
}
