/**
 * haproxy's runtime API (the admin stats socket): a tiny client, and the pure planner that turns "what the
 * running haproxy has" + "the view" into runtime commands, so that membership changes need no reload.
 */
import net from "node:net";
import type { ProxyView } from "../view";
import type { RoutedServer } from "./types";

export interface RuntimeServer {
  backend: string;
  server: string;
  addr: string;
  host: string;
  port: number;
  weight: number;
  enabled: boolean;
  /** Failed `del server` attempts (it still had connections). */
  delFailures?: number;
}

export type RuntimeState = Map<string, RuntimeServer>;

export interface RuntimeOp {
  command: string;
  /** How the state changes once the command succeeded. */
  apply(state: RuntimeState): void;
  /** Deletions may legitimately fail while connections drain: retried at the next reconcile. */
  mayFail?: boolean;
}

const keyOf = (backend: string, server: string) => `${backend}/${server}`;

/** The state haproxy has right after (re)loading a config rendered from `view`. */
export function stateFromView(view: ProxyView): RuntimeState {
  const state: RuntimeState = new Map();
  for (const s of view.services) {
    for (const e of s.endpoints) {
      state.set(keyOf(s.backend, e.name), { backend: s.backend, server: e.name, addr: e.addr, host: e.host, port: e.port, weight: e.weight, enabled: e.enabled });
    }
  }
  return state;
}

/** The state of servers read back from a running haproxy (`show servers state`). */
export function stateFromServers(servers: RoutedServer[]): RuntimeState {
  const state: RuntimeState = new Map();
  for (const s of servers) state.set(keyOf(s.backend, s.server), { backend: s.backend, server: s.server, addr: `${s.host}:${s.port}`, host: s.host, port: s.port, weight: s.weight ?? 1, enabled: s.enabled });
  return state;
}

/** srv_admin_state bits that keep a server out of rotation: forced, inherited, config, resolution, hostname maintenance. */
const MAINT_BITS = 0x01 | 0x02 | 0x04 | 0x20 | 0x40;

/**
 * Pure: `show servers state` output (format version 1) → the servers of switchyard's backends (sy_*, not the
 * built-in sy__no_service), enabled unless an admin state bit puts them in maintenance.
 */
export function parseServersState(text: string): RoutedServer[] {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  const header = lines.find((l) => l.startsWith("# "))?.slice(2).split(/\s+/);
  if (!header) return [];
  const col = (name: string) => header.indexOf(name);
  const [be, name, addr, admin, weight, port] = ["be_name", "srv_name", "srv_addr", "srv_admin_state", "srv_uweight", "srv_port"].map(col);
  const out: RoutedServer[] = [];
  for (const l of lines) {
    if (l.startsWith("#") || !/^\d+\s/.test(l)) continue;
    const f = l.split(/\s+/);
    if (!f[be]?.startsWith("sy_") || f[be] === "sy__no_service") continue;
    out.push({ backend: f[be], server: f[name], host: f[addr], port: Number(f[port]), weight: Number(f[weight]), enabled: (Number(f[admin]) & MAINT_BITS) === 0 });
  }
  return out;
}

export function planRuntime(current: RuntimeState, view: ProxyView, forceAfterDelFailures = 5): RuntimeOp[] {
  const ops: RuntimeOp[] = [];
  const wanted = stateFromView(view);
  const backends = new Set(view.services.map((s) => s.backend));
  for (const [k, w] of wanted) {
    const cur = current.get(k);
    const id = k;
    if (!cur) {
      // Dynamic servers are created in maintenance; enabled below once healthy.
      ops.push({ command: `add server ${id} ${w.host}:${w.port} weight ${w.weight}`, apply: (s) => s.set(k, { ...w, enabled: false }) });
      if (w.enabled) ops.push({ command: `enable server ${id}`, apply: (s) => (s.get(k)!.enabled = true) });
      continue;
    }
    // host is the resolved address (resolve.ts): a container that came back with a new IP is followed.
    if (cur.host !== w.host || cur.port !== w.port) {
      if (cur.enabled) ops.push({ command: `disable server ${id}`, apply: (s) => (s.get(k)!.enabled = false) });
      ops.push({ command: `set server ${id} addr ${w.host} port ${w.port}`, apply: (s) => Object.assign(s.get(k)!, { addr: w.addr, host: w.host, port: w.port, delFailures: 0 }) });
      if (w.enabled) ops.push({ command: `enable server ${id}`, apply: (s) => (s.get(k)!.enabled = true) });
    } else if (cur.enabled !== w.enabled) {
      ops.push({ command: `${w.enabled ? "enable" : "disable"} server ${id}`, apply: (s) => (s.get(k)!.enabled = w.enabled) });
    }
    if (cur.weight !== w.weight) ops.push({ command: `set server ${id} weight ${w.weight}`, apply: (s) => (s.get(k)!.weight = w.weight) });
  }
  for (const [k, cur] of current) {
    if (wanted.has(k) || !backends.has(cur.backend)) continue;
    if (cur.enabled) ops.push({ command: `disable server ${k}`, apply: (s) => (s.get(k)!.enabled = false) });
    if ((cur.delFailures ?? 0) >= forceAfterDelFailures) {
      // Still has connections long after its drain: close them rather than keep a zombie forever.
      ops.push({ command: `shutdown sessions server ${k}`, apply: () => undefined, mayFail: true });
    }
    ops.push({ command: `del server ${k}`, apply: (s) => s.delete(k), mayFail: true });
  }
  return ops;
}

/** haproxy answers errors in prose; these are the ones the commands above produce. */
export function runtimeError(command: string, response: string): string | undefined {
  const text = response.trim();
  if (!text) return undefined;
  if (/^(New server registered\.|Server deleted\.)$/m.test(text)) return undefined;
  if (command.startsWith("set server") && /addr|changed|no need/i.test(text) && !/No such|invalid|Require|cannot/i.test(text)) return undefined;
  if (/No such|not found|cannot|Unknown|invalid|error|Require|failed|already|not allowed|Missing/i.test(text)) return text.split("\n")[0];
  return undefined;
}

export function haproxyCommand(socketPath: string, command: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socketPath);
    let out = "";
    const timer = setTimeout(() => sock.destroy(new Error(`haproxy runtime API: '${command}' timed out`)), timeoutMs);
    sock.on("connect", () => sock.write(command + "\n"));
    sock.on("data", (d) => (out += d));
    sock.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}
