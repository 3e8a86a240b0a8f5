/**
 * Knowing when a graceful reload has really taken effect: the new workers answering is not enough, because the
 * old ones may still accept a few connections on the shared (reuseport) listening sockets until they act on
 * the master's stop signal. The agent reports a revision applied only once no old worker listens any more.
 * Linux /proc based; where /proc is missing, the checks pass (best effort).
 */
import fs from "node:fs";

/** Pids whose parent is `ppid`. */
export function childPids(ppid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      // Fields after the command (which may contain spaces) start after the last ')'.
      const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(rest[1]) === ppid) out.push(Number(e));
    } catch {
      /* process gone */
    }
  }
  return out;
}

/** Inodes of TCP sockets listening on `port` (state 0A), from /proc/net/tcp and tcp6. */
export function listeningInodes(port: number, tables: string[] = ["/proc/net/tcp", "/proc/net/tcp6"]): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const t of tables) {
    let text: string;
    try {
      text = fs.readFileSync(t, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10) continue;
      if (f[1].endsWith(`:${hexPort}`) && f[3] === "0A") inodes.add(f[9]);
    }
  }
  return inodes;
}

/** True when `pid` holds one of `inodes` open (or when that cannot be known). */
export function holdsSocket(pid: number, inodes: Set<string>): boolean {
  let fds: string[];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false; // gone (or not ours to see)
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(m[1])) return true;
    } catch {
      /* fd closed meanwhile */
    }
  }
  return false;
}

/** Waits until none of `pids` still listens on `port`; false on timeout. */
export async function waitStoppedListening(pids: number[], port: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const inodes = listeningInodes(port);
    if (!pids.some((p) => holdsSocket(p, inodes))) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
}
