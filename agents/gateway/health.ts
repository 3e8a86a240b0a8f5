/**
 * Active health checks, run by the agent itself for both proxies so that routing (runtime membership) and
 * the status key agree on one verdict. The state machine is pure; the prober is a thin HTTP adapter.
 */
import http from "node:http";
import type { EndpointHealth } from "../../lib/etcd/status";

export interface HealthState {
  health: EndpointHealth;
  reason?: string;
  since: string;
  /** Consecutive successes / failures of the current streak. */
  passes: number;
  fails: number;
}

export interface ProbeResult {
  ok: boolean;
  reason?: string;
}

export const initialHealth = (now: Date): HealthState => ({ health: "pending", reason: "not checked yet", since: now.toISOString(), passes: 0, fails: 0 });

/** haproxy's rise/fall semantics; "pending" turns healthy at the first success and unhealthy after `fall` failures. */
export function nextHealth(prev: HealthState, r: ProbeResult, rise: number, fall: number, now: Date): HealthState {
  const passes = r.ok ? prev.passes + 1 : 0;
  const fails = r.ok ? 0 : prev.fails + 1;
  let health = prev.health;
  if (r.ok && (prev.health === "pending" || passes >= rise)) health = "healthy";
  if (!r.ok && fails >= fall) health = "unhealthy";
  const changed = health !== prev.health;
  return {
    health,
    ...(health === "healthy" ? {} : { reason: r.ok ? prev.reason : r.reason ?? prev.reason }),
    since: changed ? now.toISOString() : prev.since,
    passes,
    fails,
  };
}

export interface HealthTarget {
  id: string;
  addr: string;
  host: string;
  port: number;
  path: string;
}

export function probe(t: HealthTarget, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get({ host: t.host, port: t.port, path: t.path, timeout: timeoutMs, agent: false, headers: { "User-Agent": "switchyard-gateway-health" } }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400 ? { ok: true } : { ok: false, reason: `GET ${t.path} -> ${code}` });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", (e) => resolve({ ok: false, reason: `GET ${t.path}: ${(e as NodeJS.ErrnoException).code ?? e.message}` }));
  });
}

export interface HealthCheckerOptions {
  intervalMs: number;
  timeoutMs: number;
  rise: number;
  fall: number;
  onChange: () => void;
  probe?: (t: HealthTarget, timeoutMs: number) => Promise<ProbeResult>;
  /** Probes in flight at most (default 64): 10,000 targets must not open 10,000 connections at once. */
  maxInFlight?: number;
}

/** What one probe checks: endpoints with the same address and path share it (one probe, one verdict). */
export const probeKey = (t: Pick<HealthTarget, "host" | "port" | "path">) => `${t.host}:${t.port}${t.path}`;

/**
 * Pure: how many of `total` probes are due in one tick of `tickMs` (a fraction: ticks carry the remainder) so
 * that every target is probed once per interval, spread evenly instead of in one burst.
 */
export function probesPerTick(total: number, intervalMs: number, tickMs: number): number {
  return (total * tickMs) / intervalMs;
}

const TICK_MS = 25;

/**
 * Probes every target once per interval, spread over the interval, with a bounded number in flight; targets
 * that share an address and path share one probe. State is keyed by id+addr so an address change starts over
 * as pending.
 */
export class HealthChecker {
  private states = new Map<string, HealthState>();
  private targets = new Map<string, HealthTarget>();
  /** Probe key -> the endpoint keys (id@addr) that share it. */
  private byProbe = new Map<string, Set<string>>();
  /** Round-robin position over the probe keys. */
  private order: string[] = [];
  private cursor = 0;
  /** Probes due but not started yet (the fraction a tick carries over). */
  private credit = 0;
  private timer?: NodeJS.Timeout;
  /** Probe keys queued or probing. */
  private inFlight = new Set<string>();
  private active = 0;
  private waiting: (() => void)[] = [];

  constructor(private readonly o: HealthCheckerOptions) {}

  private static key(id: string, addr: string) {
    return `${id}@${addr}`;
  }

  /** Replaces the targets; resolves once new targets have had their first check (bounded by the timeout). */
  setTargets(list: HealthTarget[]): Promise<void> {
    const next = new Map(list.map((t) => [HealthChecker.key(t.id, t.addr), t]));
    const byProbe = new Map<string, Set<string>>();
    for (const [k, t] of next) {
      const pk = probeKey(t);
      let set = byProbe.get(pk);
      if (!set) byProbe.set(pk, (set = new Set()));
      set.add(k);
    }
    for (const k of this.states.keys()) if (!next.has(k)) this.states.delete(k);
    const freshProbes = [...byProbe.keys()].filter((pk) => ![...byProbe.get(pk)!].every((k) => this.targets.has(k)));
    this.targets = next;
    if (byProbe.size !== this.byProbe.size || freshProbes.length) this.order = [...byProbe.keys()];
    this.byProbe = byProbe;
    // Check new endpoints at once instead of waiting for their turn: this is on the propagation path, and
    // knowing the verdict before the apply saves a second apply.
    return Promise.all(freshProbes.map((pk) => this.check(pk))).then(() => undefined);
  }

  /**
   * Endpoints a running proxy already sends traffic to (a new agent adopting it): they start healthy, so they
   * stay in rotation until this checker's own probes fail `fall` times in a row.
   */
  adopt(list: { id: string; addr: string }[], now = new Date()): void {
    for (const { id, addr } of list) {
      const k = HealthChecker.key(id, addr);
      if (!this.states.has(k)) this.states.set(k, { health: "healthy", since: now.toISOString(), passes: 0, fails: 0 });
    }
  }

  get(id: string, addr: string): HealthState {
    return this.states.get(HealthChecker.key(id, addr)) ?? initialHealth(new Date());
  }

  start(): void {
    const tickMs = Math.min(TICK_MS, this.o.intervalMs);
    this.timer = setInterval(() => {
      this.credit = Math.min(this.credit + probesPerTick(this.order.length, this.o.intervalMs, tickMs), this.order.length);
      const n = Math.floor(this.credit);
      this.credit -= n;
      for (let i = 0; i < n; i++) {
        if (this.cursor >= this.order.length) this.cursor = 0;
        void this.check(this.order[this.cursor++]);
      }
    }, tickMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async check(pk: string): Promise<void> {
    // One probe per key at a time: a slow target is not probed again before its last probe has answered.
    if (this.inFlight.has(pk)) return;
    const members = this.byProbe.get(pk);
    const first = members && this.targets.get([...members][0]);
    if (!first) return;
    this.inFlight.add(pk);
    try {
      while (this.active >= (this.o.maxInFlight ?? 64)) await new Promise<void>((r) => this.waiting.push(r));
      this.active++;
      let r: ProbeResult;
      try {
        r = await (this.o.probe ?? probe)(first, this.o.timeoutMs);
      } finally {
        this.active--;
        this.waiting.shift()?.();
      }
      let changed = false;
      for (const k of this.byProbe.get(pk) ?? []) {
        if (!this.targets.has(k)) continue;
        const prev = this.states.get(k) ?? initialHealth(new Date());
        const next = nextHealth(prev, r, this.o.rise, this.o.fall, new Date());
        this.states.set(k, next);
        changed ||= next.health !== prev.health;
      }
      if (changed) this.o.onChange();
    } finally {
      this.inFlight.delete(pk);
    }
  }
}
