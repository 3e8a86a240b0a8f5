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
}

/** Probes every target each interval; state is keyed by id+addr so an address change starts over as pending. */
export class HealthChecker {
  private states = new Map<string, HealthState>();
  private targets = new Map<string, HealthTarget>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly o: HealthCheckerOptions) {}

  private static key(id: string, addr: string) {
    return `${id}@${addr}`;
  }

  /** Replaces the targets; resolves once new targets have had their first check (bounded by the timeout). */
  setTargets(list: HealthTarget[]): Promise<void> {
    const next = new Map(list.map((t) => [HealthChecker.key(t.id, t.addr), t]));
    const fresh = [...next.keys()].filter((k) => !this.targets.has(k));
    for (const k of this.states.keys()) if (!next.has(k)) this.states.delete(k);
    this.targets = next;
    // Check new endpoints at once instead of waiting for the next round: this is on the propagation path,
    // and knowing the verdict before the apply saves a second apply.
    return Promise.all(fresh.map((k) => this.check(k))).then(() => undefined);
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
    const loop = async () => {
      if (this.running) return;
      this.running = true;
      try {
        await Promise.all([...this.targets.keys()].map((k) => this.check(k)));
      } finally {
        this.running = false;
      }
    };
    this.timer = setInterval(() => void loop(), this.o.intervalMs);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async check(k: string): Promise<void> {
    const t = this.targets.get(k);
    if (!t) return;
    const r = await (this.o.probe ?? probe)(t, this.o.timeoutMs);
    if (!this.targets.has(k)) return;
    const prev = this.states.get(k) ?? initialHealth(new Date());
    const next = nextHealth(prev, r, this.o.rise, this.o.fall, new Date());
    this.states.set(k, next);
    if (next.health !== prev.health) this.o.onChange();
  }
}
