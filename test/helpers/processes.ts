/**
 * Real child processes for tests, with their output in a log file and guaranteed cleanup: everything a
 * test starts is killed at process exit even if the test fails or forgets.
 */
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const p of live) killGroup(p, "SIGKILL");
  };
  process.on("exit", killAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => { killAll(); process.exit(1); });
}

export interface Proc {
  child: ChildProcess;
  logFile: string;
  /** Resolves when the process has exited. */
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startProcess(cmd: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Proc {
  hookExit();
  const out = fs.openSync(logFile, "a");
  // A process group of its own: a kill reaches what the command started too (tsx runs the real agent in a
  // child process; killing only the wrapper would leave the agent running).
  const child = spawn(cmd, args, { stdio: ["ignore", out, out], env: { ...process.env, ...env }, detached: true });
  fs.closeSync(out);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.on("exit", (code) => {
      live.delete(child);
      resolve(code);
    });
    child.on("error", () => {
      live.delete(child);
      resolve(null);
    });
  });
  return {
    child,
    logFile,
    exited,
    async kill(signal: NodeJS.Signals = "SIGKILL") {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killGroup(child, signal);
      await exited;
    },
  };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    /* already gone */
  }
}

/**
 * Kills the process group led by the pid in `pidFile` (SIGKILL), if that process is alive and its command line
 * mentions `mustMention` (so a recycled pid of someone else's process is never signalled). For processes a
 * test did not start itself but left running (a proxy started by an agent the test spawned). Never throws.
 */
export function killGroupFromPidFile(pidFile: string, mustMention: string): void {
  try {
    const pid = Number(fs.readFileSync(pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1) return;
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    if (!cmdline.includes(mustMention)) return;
    process.kill(-pid, "SIGKILL");
  } catch {
    /* no pid file, already gone, or not a group leader */
  }
}

export function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
