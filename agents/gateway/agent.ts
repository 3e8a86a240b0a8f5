/**
 * The gateway agent, a level-triggered controller. Any signal — a watch event, a reconnect, a health change,
 * the end of a drain, the proxy restarted, the periodic resync — only requests a reconcile (lib/agent-kit's
 * trigger: one at a time, folded, retried with backoff), and every reconcile is the same four steps:
 *   read    the whole desired state from the store (re-listed when something in it may have changed), resolved
 *   decide  pure (reconcile.ts): view, drains, and whether the change is structure (reload) or membership
 *   apply   the driver: runtime membership, or the shared render → validate → swap → reload pipeline
 *   report  status key and metrics
 * A new agent that finds the proxy left running adopts it first: what it routes counts as applied and its
 * endpoints start healthy, so a restart never takes a serving endpoint out of rotation.
 * Failures leave the proxy on its last good config and show up in the status' lastError and the metrics.
 */
import type { GatewayStatus } from "../../lib/etcd/status";
import { ReconcileTrigger } from "../../lib/agent-kit/trigger";
import type { HealthReport } from "../../lib/agent-kit/http";
import type { Logger } from "../../lib/log";
import { Debouncer } from "./debounce";
import { buildDesiredState, type DesiredState } from "./desired";
import { resolveDesired, systemLookup, type Lookup } from "./resolve";
import { ApplyError, type ProxyDriver } from "./drivers/types";
import type { ServicesStore } from "./etcd-source";
import { HealthChecker, type HealthTarget, type ProbeResult } from "./health";
import type { Metrics } from "./metrics";
import { adoptProxy, decide, type Applied } from "./reconcile";
import { buildStatus, type StatusSink } from "./status-publisher";
import { countEndpoints, type DrainingEndpoint } from "./view";

export interface AgentOptions {
  id: string;
  root: string;
  quietMs: number;
  maxWaitMs: number;
  drainMs: number;
  resyncMs: number;
  statusTtlSeconds: number;
  healthIntervalMs: number;
  healthTimeoutMs: number;
  healthRise: number;
  healthFall: number;
  defaultHealthPath: string;
  /** Baseline mode for benchmarks: apply membership changes by render + reload too (what confd did). */
  reloadPerChange?: boolean;
}

/** The edges the agent works through; tests pass fakes. */
export interface AgentDeps {
  store: ServicesStore;
  status: StatusSink;
  driver: ProxyDriver;
  metrics: Metrics;
  log: Logger;
  lookup?: Lookup;
  probe?: (t: HealthTarget, timeoutMs: number) => Promise<ProbeResult>;
  now?: () => number;
  /** Backoff of failed reconciles (defaults: 100 ms doubling up to 2 s). */
  backoff?: { initialMs: number; maxMs: number };
}

/** Reasons that do not need a fresh read of the store (only health, time or the proxy changed). */
const NO_RELIST = new Set(["health", "drain-end", "proxy-restart", "retry"]);

export class GatewayAgent {
  private readonly trigger: ReconcileTrigger;
  private readonly debouncer: Debouncer;
  private readonly health: HealthChecker;
  private readonly store: ServicesStore;
  private readonly driver: ProxyDriver;
  private readonly metrics: Metrics;
  private readonly log: Logger;
  private readonly lookup: Lookup;
  private readonly now: () => number;
  private desired?: DesiredState;
  private applied?: Applied;
  private appliedRevision = 0;
  private appliedAt = new Date();
  private lastError: GatewayStatus["lastError"] = null;
  private draining: DrainingEndpoint[] = [];
  private warned = new Set<string>();
  /** Whether the running proxy (if adopted) has been read back yet. */
  private adoptionDone = false;
  /** Time of the first watch event not yet applied (for the watch-lag metric). */
  private firstPendingEventAt?: number;
  private drainTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  /** Hosts already reported as not resolving, so a persistent failure is logged once. */
  private unresolvedHosts = new Set<string>();
  etcdUp = false;

  constructor(private readonly o: AgentOptions, private readonly deps: AgentDeps) {
    ({ store: this.store, driver: this.driver, metrics: this.metrics, log: this.log } = deps);
    this.lookup = deps.lookup ?? systemLookup;
    this.now = deps.now ?? Date.now;
    this.trigger = new ReconcileTrigger({
      run: (reasons) => this.reconcile(reasons),
      // Each step logs its own failure once; the trigger only retries.
      onError: (e, attempt, retryInMs) => this.log.debug({ err: (e as Error).message, attempt, retryInMs }, "reconcile failed; retrying"),
      initialBackoffMs: deps.backoff?.initialMs ?? 100,
      maxBackoffMs: deps.backoff?.maxMs ?? 2000,
    });
    this.debouncer = new Debouncer(o.quietMs, o.maxWaitMs, () => this.trigger.request("watch"));
    this.health = new HealthChecker({
      intervalMs: o.healthIntervalMs,
      timeoutMs: o.healthTimeoutMs,
      rise: o.healthRise,
      fall: o.healthFall,
      onChange: () => this.trigger.request("health"),
      ...(deps.probe ? { probe: deps.probe } : {}),
    });
    this.driver.onRestart = () => {
      // The proxy came back on the last config file; push membership again and re-check everything.
      if (this.applied) this.applied = { ...this.applied, membership: "" };
      this.trigger.request("proxy-restart");
    };
  }

  start(): void {
    this.health.start();
    this.trigger.request("start");
    this.resyncTimer = setInterval(() => this.trigger.request("resync"), this.o.resyncMs);
  }

  /** Resolves when no reconcile is running, queued or waiting to be retried (tests). */
  idle(): Promise<void> {
    return this.trigger.idle();
  }

  healthReport(): HealthReport {
    // Healthy once the proxy runs a config we applied: from then on it serves, whatever etcd does.
    const serving = this.driver.running() && this.applied !== undefined && this.appliedRevision > 0;
    return {
      ok: serving,
      proxy: this.driver.running() ? "running" : "down",
      kind: this.driver.kind,
      etcd: this.etcdUp ? "up" : "unreachable",
      appliedRevision: this.appliedRevision,
      lastError: this.lastError,
    };
  }

  private async reconcile(reasons: string[]): Promise<void | "again"> {
    const eventAt = this.firstPendingEventAt;
    // read
    let readError: Error | undefined;
    if (!this.desired || reasons.some((r) => !NO_RELIST.has(r))) {
      // The watch keeps the store's mirror current; the start and the periodic resync read etcd itself.
      readError = await this.read(reasons.some((r) => r === "start" || r === "resync"));
      if (!this.desired) throw readError;
    }
    const { desired, unresolved } = await resolveDesired(this.desired, this.lookup);
    for (const u of unresolved) if (!this.unresolvedHosts.has(u.host)) this.log.warn(u, "endpoint host does not resolve; it stays out of rotation until it does");
    this.unresolvedHosts = new Set(unresolved.map((u) => u.host));
    if (!this.adoptionDone) await this.adopt(desired);
    await this.health.setTargets(desired.services.flatMap((s) => s.endpoints.map((e) => ({ id: e.id, addr: e.addr, host: e.host, port: e.port, path: e.healthPath }))));

    // decide
    const d = decide({
      desired,
      healthOf: (id, addr) => this.health.get(id, addr),
      applied: this.applied,
      draining: this.draining,
      now: this.now(),
      drainMs: this.o.drainMs,
      proxyRunning: this.driver.running(),
      reloadPerChange: this.o.reloadPerChange,
    });
    this.draining = d.draining;
    this.scheduleDrainEnd(d.nextDrainEnd);

    // apply
    let applyError: Error | undefined;
    try {
      if (d.change === "structure") {
        await this.driver.applyStructure(d.view);
        this.log.info({ revision: desired.revision, services: d.view.services.map((s) => s.name) }, "config rendered and (re)loaded");
      } else if (d.change === "membership") {
        await this.driver.applyMembership(d.view);
        // Totals only: a per-service breakdown is one huge line per change at 1,000 services (the metrics have it).
        const counts = Object.values(countEndpoints(d.view));
        this.log.info({ revision: desired.revision, services: counts.length, endpoints: counts.reduce((n, c) => n + c.total, 0), enabled: counts.reduce((n, c) => n + c.enabled, 0) }, "membership updated at runtime (no reload)");
      }
      // A driver with work left (haproxy could not delete a drained server yet) pushes membership again.
      this.applied = { view: d.view, structure: d.structure, membership: this.driver.pendingWork?.() ? "" : d.membership };
      if (desired.revision > this.appliedRevision) {
        this.appliedRevision = desired.revision;
        this.appliedAt = new Date(this.now());
      }
      this.lastError = null;
      this.metrics.lastApplyOk.set(1);
      if (eventAt !== undefined && !readError) this.metrics.watchLag.observe((Date.now() - eventAt) / 1000);
    } catch (e) {
      applyError = e as Error;
      const stage = e instanceof ApplyError ? e.stage : "apply";
      const message = `${stage}: ${applyError.message}`;
      this.metrics.failures.inc({ stage });
      this.metrics.lastApplyOk.set(0);
      if (this.lastError?.message !== message) this.log.error({ stage, err: applyError.message, revision: desired.revision }, "apply failed; the proxy keeps its last good config");
      this.lastError = { at: new Date(this.now()).toISOString(), message };
    }

    // report
    this.report();
    if (readError) throw readError;
    if (applyError) throw applyError;
    return this.applied?.membership === "" ? "again" : undefined;
  }

  /** One consistent read of the store; returns the error when it fails (the last desired state stays). */
  private async read(fresh: boolean): Promise<Error | undefined> {
    try {
      const { revision, kvs } = await this.store.list({ fresh });
      this.firstPendingEventAt = undefined;
      this.etcdUp = true;
      this.metrics.etcdUp.set(1);
      this.desired = buildDesiredState(this.o.root, kvs, revision, this.o.defaultHealthPath);
      this.reportWarnings(this.desired);
      this.store.watch(revision, {
        changed: (rev) => {
          this.metrics.seenRevision.set(rev);
          this.firstPendingEventAt ??= Date.now();
          this.debouncer.signal();
        },
        resync: (reason) => {
          this.log.info({ reason }, "re-listing the services root");
          this.debouncer.signal();
        },
      });
      return undefined;
    } catch (e) {
      if (this.etcdUp || !this.desired) this.log.warn({ err: (e as Error).message }, "cannot read etcd; the proxy keeps serving the last applied config");
      this.etcdUp = false;
      this.metrics.etcdUp.set(0);
      this.metrics.failures.inc({ stage: "list" });
      return e as Error;
    }
  }

  /** Restart adoption: what a proxy left running routes becomes the applied state, its endpoints healthy. */
  private async adopt(desired: DesiredState): Promise<void> {
    this.adoptionDone = true;
    const adopted = await this.driver.adopt();
    if (!adopted) return;
    const { applied, adoptHealthy } = adoptProxy(adopted, desired);
    this.health.adopt(adoptHealthy);
    this.applied = applied;
    this.log.info({ servers: adopted.servers.length, enabled: adopted.servers.filter((s) => s.enabled).length, healthy: adoptHealthy.length, reload: !adopted.structure }, "adopted the running proxy's routing");
  }

  private report(): void {
    this.metrics.appliedRevision.set(this.appliedRevision);
    this.metrics.endpoints.reset();
    for (const [svc, c] of Object.entries(countEndpoints(this.applied?.view ?? { services: [], defaultService: "" }))) {
      this.metrics.endpoints.set({ service: svc, state: "routed" }, c.total);
      this.metrics.endpoints.set({ service: svc, state: "enabled" }, c.enabled);
    }
    this.deps.status.publish(buildStatus({
      id: this.o.id,
      kind: this.driver.kind,
      appliedRevision: this.appliedRevision,
      appliedAt: this.appliedAt,
      view: this.applied?.view,
      since: (id, addr) => this.health.get(id, addr).since,
      lastError: this.lastError,
    }));
  }

  private scheduleDrainEnd(at: number | undefined): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    if (at === undefined) return;
    this.drainTimer = setTimeout(() => this.trigger.request("drain-end"), Math.max(0, at - this.now()) + 5);
  }

  private reportWarnings(d: DesiredState): void {
    const current = new Set<string>();
    for (const w of d.warnings) {
      const k = `${w.key}\u0000${w.problem}`;
      current.add(k);
      if (!this.warned.has(k)) {
        this.metrics.keyWarnings.inc();
        this.log.warn({ key: w.key, problem: w.problem }, "skipping a key the gateway cannot use");
      }
    }
    this.warned = current;
    this.metrics.invalidKeys.set(d.warnings.length);
  }

  async stop(): Promise<void> {
    this.trigger.stop();
    this.debouncer.cancel();
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.health.stop();
    await this.store.close();
    await this.deps.status.stop();
    await this.driver.stop();
  }
}
