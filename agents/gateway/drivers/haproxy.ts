/**
 * haproxy driver: the shared pipeline (pipeline.ts) with `haproxy -c` and SIGUSR2 to the master (master-worker
 * -W, seamless reload, listeners passed over). Membership: runtime API commands (add/enable/disable/set
 * addr/del server) — no reload; then the config file is re-rendered with the same servers and states,
 * validated and swapped in, so that a later reload or restart loses nothing.
 */
import fs from "node:fs";
import path from "node:path";
import type { Logger } from "../../../lib/log";
import type { Metrics } from "../metrics";
import { ProxyPipeline } from "../pipeline";
import { pathsIn, type RenderSettings } from "../render";
import type { ProxyView } from "../view";
import { haproxyCommand, parseServersState, planRuntime, runtimeError, stateFromServers, stateFromView, type RuntimeState } from "./haproxy-runtime";
import { ApplyError, type AdoptedProxy, type ProxyDriver } from "./types";

export interface HaproxyDriverOptions {
  settings: RenderSettings;
  templateFile?: string;
  haproxyBinary: string;
  log: Logger;
  metrics: Metrics;
}

const copyState = (s: RuntimeState): RuntimeState => new Map([...s].map(([k, v]) => [k, { ...v }]));

export class HaproxyDriver implements ProxyDriver {
  readonly kind = "haproxy" as const;
  onRestart?: () => void;
  private readonly socket: string;
  private readonly pipeline: ProxyPipeline;
  private state: RuntimeState = new Map();
  /** The state the config file on disk describes (what a restart would come up with). */
  private diskState: RuntimeState = new Map();

  constructor(private readonly o: HaproxyDriverOptions) {
    const dir = o.settings.workDir;
    const socket = pathsIn(dir).statsSocket;
    this.socket = socket;
    const configFile = path.join(dir, "haproxy.cfg");
    const outFile = path.join(dir, "haproxy.out");
    this.pipeline = new ProxyPipeline({
      kind: "haproxy",
      binary: o.haproxyBinary,
      configFile,
      pidFile: path.join(dir, "haproxy.pid"),
      outFile,
      errorLog: outFile,
      startArgs: () => ["-W", "-f", configFile],
      validateArgs: (staged) => ["-c", "-q", "-f", staged],
      validateLabel: "haproxy -c",
      reloadSignal: "SIGUSR2",
      stopSignal: "SIGTERM",
      beforeStart: () => fs.rmSync(socket, { force: true }),
      // The current worker's pid, from `show info`: it changes when a reload has taken effect.
      loadedMarker: async () => /^Pid: (\d+)/m.exec(await haproxyCommand(socket, "show info", 1000))?.[1],
      tookEffect: (marker, before) => marker !== before,
    }, o);
    this.pipeline.onRestart = () => {
      this.state = copyState(this.diskState);
      this.onRestart?.();
    };
  }

  running(): boolean {
    return this.pipeline.running();
  }

  /** The adopted haproxy's servers and their admin states, from `show servers state`: what it really routes. */
  async adopt(): Promise<AdoptedProxy | undefined> {
    if (!this.pipeline.adopted) return undefined;
    let servers;
    try {
      servers = parseServersState(await haproxyCommand(this.socket, "show servers state"));
    } catch (e) {
      this.o.log.warn({ err: (e as Error).message }, "cannot read the adopted haproxy's servers; the first apply reloads it");
      return undefined;
    }
    this.state = stateFromServers(servers);
    this.diskState = copyState(this.state);
    return { structure: this.pipeline.adoptedStructure(), servers };
  }

  async applyStructure(view: ProxyView): Promise<void> {
    await this.pipeline.apply(view);
    this.diskState = stateFromView(view);
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
          const cur = this.state.get(op.command.split(" ").pop()!);
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
    await this.pipeline.rewrite(view);
    this.diskState = stateFromView(view);
  }

  /** True while a removed server could not be deleted yet (still has connections). */
  pendingWork(): boolean {
    return [...this.state.values()].some((s) => (s.delFailures ?? 0) > 0);
  }

  stop(): Promise<void> {
    return this.pipeline.stop();
  }
}
