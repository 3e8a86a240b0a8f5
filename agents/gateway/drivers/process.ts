/**
 * Thin process adapters: run a command to completion (validation), and supervise a long-running proxy
 * (restart it on its last good config if it dies; stop it gracefully).
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import type { Logger } from "../../../lib/log";

export function runCommand(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: `${cmd}: ${e.message}` });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim() });
    });
  });
}

/** Writes a file atomically: a reader (or a reload) sees the old or the new content, never half of it. */
export function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** True when a process with this pid exists (and we may signal it). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * A proxy master left running by a previous agent (it runs in its own process group, so it survives the
 * agent): its pid, if the pid file names a live process whose command line mentions `configFile`.
 */
export function findRunningMaster(pidFile: string, configFile: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return undefined;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    return cmdline.includes(configFile) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export class Supervised {
  private child?: ChildProcess;
  /** A master started by a previous agent and adopted by this one (not our child: watched by polling). */
  private adopted?: number;
  private adoptTimer?: NodeJS.Timeout;
  private stopping = false;
  private restartTimer?: NodeJS.Timeout;

  constructor(
    private readonly name: string,
    private readonly cmd: string,
    private readonly args: () => string[],
    private readonly logFile: string,
    private readonly log: Logger,
    /** Runs before each (re)start, e.g. to remove a stale unix socket. */
    private readonly beforeStart: () => void,
    private readonly onUnexpectedExit: (code: number | null, signal: string | null) => void,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid ?? this.adopted;
  }

  running(): boolean {
    if (this.adopted !== undefined) return alive(this.adopted);
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Takes over a master left by a previous agent, so that an agent restart does not interrupt traffic. */
  adopt(pid: number): void {
    this.adopted = pid;
    this.log.info({ pid }, `adopted the running ${this.name} (left by a previous agent): no restart`);
    this.adoptTimer = setInterval(() => {
      if (this.adopted === undefined || alive(this.adopted)) return;
      const gone = this.adopted;
      this.adopted = undefined;
      if (this.adoptTimer) clearInterval(this.adoptTimer);
      killGroup(gone);
      if (this.stopping) return;
      this.log.error({ pid: gone }, `${this.name} exited unexpectedly; restarting it on the last good config`);
      this.onUnexpectedExit(null, null);
    }, 500);
  }

  start(): void {
    // Never two masters: a reconcile may start the proxy while a crash restart is pending, or the reverse.
    if (this.running()) return;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.beforeStart();
    const out = fs.openSync(this.logFile, "a");
    // Own process group: if the master dies, its orphaned workers (which would keep serving a stale config on
    // the same reuseport socket) can be killed with it.
    const child = spawn(this.cmd, this.args(), { stdio: ["ignore", out, out], detached: true });
    fs.closeSync(out);
    this.child = child;
    child.on("error", (e) => this.log.error({ err: e.message }, `${this.name} could not be started`));
    child.on("exit", (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      killGroup(child.pid);
      if (this.stopping) return;
      this.log.error({ code, signal, log: this.logFile }, `${this.name} exited unexpectedly; restarting it on the last good config`);
      this.onUnexpectedExit(code, signal);
    });
  }

  /** Restarts after a short pause (so a crash loop does not spin the CPU). */
  restartSoon(delayMs = 500, after?: () => void): void {
    if (this.restartTimer || this.stopping) return;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (this.stopping || this.running()) return;
      this.start();
      after?.();
    }, delayMs);
  }

  signal(sig: NodeJS.Signals): void {
    if (this.adopted !== undefined) process.kill(this.adopted, sig);
    else this.child?.kill(sig);
  }

  async stop(signal: NodeJS.Signals, graceMs = 5000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.adoptTimer) clearInterval(this.adoptTimer);
    if (this.adopted !== undefined) {
      const pid = this.adopted;
      this.adopted = undefined;
      if (!alive(pid)) return;
      process.kill(pid, signal);
      const deadline = Date.now() + graceMs;
      while (alive(pid) && Date.now() < deadline) await sleep(50);
      killGroup(pid);
      return;
    }
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

function killGroup(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* group already empty */
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns true or the deadline passes. */
export async function until(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return true;
    } catch {
      /* not ready yet */
    }
    await sleep(intervalMs);
  }
  return false;
}
