/**
 * The one proxy pipeline both drivers share (confd's "resource" stage): render → stage → validate → atomic swap →
 * start or graceful reload → wait until the reload took effect and the old workers stopped listening. It also
 * supervises the proxy process (restart on its last good config), adopts a proxy left running by a previous
 * agent, and records what structure the running config was rendered from (so a new agent can tell whether
 * it needs a reload at all). What differs per kind — commands, signals, how to tell a reload took effect —
 * comes in a ProxyProgram; membership at runtime stays in the drivers.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import type { Logger } from "../../lib/log";
import type { Metrics } from "./metrics";
import { BUILTIN_TEMPLATES, renderConfig, type ProxyKind, type RenderSettings } from "./render";
import { findRunningMaster, runCommand, Supervised, until, writeAtomic } from "./drivers/process";
import { childPids, waitStoppedListening } from "./drivers/retire";
import { ApplyError } from "./drivers/types";
import { structureKey, type ProxyView } from "./view";

/** What one proxy kind brings to the pipeline. */
export interface ProxyProgram {
  kind: ProxyKind;
  binary: string;
  configFile: string;
  pidFile: string;
  /** The supervised process' stdout/stderr. */
  outFile: string;
  /** Named in error messages: where to look when the proxy does not come up. */
  errorLog: string;
  startArgs(): string[];
  validateArgs(stagedFile: string): string[];
  /** The validation command as an operator knows it ("nginx -t"), for error messages. */
  validateLabel: string;
  reloadSignal: NodeJS.Signals;
  stopSignal: NodeJS.Signals;
  /** Runs before each (re)start, e.g. to remove a stale unix socket. */
  beforeStart(): void;
  /** What the running proxy has loaded (nginx: config generation; haproxy: worker pid); throws when it cannot answer. */
  loadedMarker(): Promise<string | undefined>;
  /** True once `marker` shows the config of `generation` running (before: the marker before the reload). */
  tookEffect(marker: string | undefined, before: string | undefined, generation: string): boolean;
  /** Runs after validation, before the swap (nginx: the peers file its init code reads). */
  beforeSwap?(view: ProxyView): void;
}

export interface PipelineOptions {
  settings: RenderSettings;
  /** User template file; read at every render so an operator can change it (confd-style). */
  templateFile?: string;
  log: Logger;
  metrics: Metrics;
}

/** The structure the running config was rendered from, with what else shaped the file. */
interface AppliedMarker {
  structure: string;
  inputs: string;
}

export class ProxyPipeline {
  private readonly proc: Supervised;
  private readonly markerFile: string;
  private adoptedPid?: number;
  /** Called once the proxy, dead unexpectedly, runs again on its last good config. */
  onRestart?: () => void;

  constructor(private readonly program: ProxyProgram, private readonly o: PipelineOptions) {
    fs.mkdirSync(o.settings.workDir, { recursive: true });
    this.markerFile = `${program.configFile}.applied.json`;
    this.proc = new Supervised(program.kind, program.binary, () => program.startArgs(), program.outFile, o.log, () => program.beforeStart(), () => {
      o.metrics.failures.inc({ stage: "proxy_exit" });
      this.proc.restartSoon(500, () => void this.waitLoaded(undefined, undefined, 15_000).then(() => this.onRestart?.()));
    });
    // A proxy left by a previous agent keeps serving; the agent adopts it (see adoptedStructure).
    const running = findRunningMaster(program.pidFile, program.configFile);
    if (running) {
      this.proc.adopt(running);
      this.adoptedPid = running;
    }
  }

  get kind(): ProxyKind {
    return this.program.kind;
  }

  /** True when this pipeline took over a proxy a previous agent left running. */
  get adopted(): boolean {
    return this.adoptedPid !== undefined;
  }

  running(): boolean {
    return this.proc.running();
  }

  private template(): string {
    if (!this.o.templateFile) return BUILTIN_TEMPLATES[this.program.kind];
    try {
      return fs.readFileSync(this.o.templateFile, "utf8");
    } catch (e) {
      throw new ApplyError("render", `cannot read template ${this.o.templateFile}: ${(e as Error).message}`);
    }
  }

  /** Everything besides the view that shapes the rendered file: a change means the running file is not ours. */
  private inputs(template: string): string {
    return crypto.createHash("sha256").update(template).update(JSON.stringify(this.o.settings)).digest("hex");
  }

  /**
   * The structure key (view.ts) of the config the adopted proxy runs, when a previous agent recorded it and the
   * template and settings are still the same; undefined otherwise (the first apply then reloads).
   */
  adoptedStructure(): string | undefined {
    if (!this.adopted) return undefined;
    try {
      const m = JSON.parse(fs.readFileSync(this.markerFile, "utf8")) as AppliedMarker;
      return m.inputs === this.inputs(this.template()) ? m.structure : undefined;
    } catch {
      return undefined;
    }
  }

  /** Renders and validates `view`; returns the staged file and its generation. Pure but for the staged file. */
  async stage(view: ProxyView): Promise<{ staged: string; generation: string; inputs: string }> {
    const { metrics } = this.o;
    let rendered;
    let template: string;
    try {
      template = this.template();
      rendered = renderConfig(template, view, this.o.settings);
    } catch (e) {
      metrics.renders.inc({ result: "error" });
      throw e instanceof ApplyError ? e : new ApplyError("render", `template error: ${(e as Error).message}`);
    }
    const staged = `${this.program.configFile}.staged`;
    fs.writeFileSync(staged, rendered.text);
    const check = await runCommand(this.program.binary, this.program.validateArgs(staged));
    if (check.code !== 0) {
      metrics.renders.inc({ result: "invalid" });
      throw new ApplyError("validate", `${this.program.validateLabel} rejected the rendered config: ${lastLines(check.output)}`);
    }
    metrics.renders.inc({ result: "ok" });
    return { staged, generation: rendered.generation, inputs: this.inputs(template) };
  }

  /** Staged file in place, atomically, with the record of its structure. */
  private swap(view: ProxyView, staged: { staged: string; inputs: string }): void {
    this.program.beforeSwap?.(view);
    fs.renameSync(staged.staged, this.program.configFile);
    writeAtomic(this.markerFile, JSON.stringify({ structure: structureKey(view), inputs: staged.inputs } satisfies AppliedMarker));
  }

  /** The file on disk follows the view (e.g. runtime membership), without a reload. */
  async rewrite(view: ProxyView): Promise<void> {
    this.swap(view, await this.stage(view));
  }

  /** render → stage → validate → swap → start or graceful reload → wait for the old workers. */
  async apply(view: ProxyView): Promise<void> {
    const staged = await this.stage(view);
    this.swap(view, staged);
    const { metrics, settings } = this.o;
    if (!this.proc.running()) {
      this.proc.start();
      if (!(await this.waitLoaded(undefined, staged.generation, 15_000))) {
        metrics.reloads.inc({ result: "error" });
        throw new ApplyError("start", `${this.program.kind} did not come up; see ${this.program.errorLog}`);
      }
      return;
    }
    const before = await this.program.loadedMarker().catch(() => undefined);
    const oldWorkers = this.proc.pid ? childPids(this.proc.pid) : [];
    this.proc.signal(this.program.reloadSignal);
    if (!(await this.waitLoaded(before, staged.generation, 15_000))) {
      metrics.reloads.inc({ result: "error" });
      throw new ApplyError("reload", `${this.program.kind} did not load generation ${staged.generation}; see ${this.program.errorLog}`);
    }
    // The new workers answering is not enough: old ones may still accept on the shared listening socket.
    if (!(await waitStoppedListening(oldWorkers, settings.listenPort, 5000))) {
      this.o.log.warn({ oldWorkers }, `old ${this.program.kind} workers still listen 5 s after the reload`);
    }
    metrics.reloads.inc({ result: "ok" });
  }

  private waitLoaded(before: string | undefined, generation: string | undefined, timeoutMs: number): Promise<boolean> {
    return until(async () => {
      const marker = await this.program.loadedMarker();
      return marker !== undefined && (generation === undefined ? marker !== before : this.program.tookEffect(marker, before, generation));
    }, timeoutMs);
  }

  async stop(): Promise<void> {
    await this.proc.stop(this.program.stopSignal, 5000);
  }
}

export function lastLines(text: string, n = 4): string {
  return text.split("\n").filter(Boolean).slice(-n).join(" | ");
}
