/**
 * The reconcile core (a level-triggered controller): any signal — a watch event, a reconnect, a health change,
 * the end of a drain, a timer — leads to the same `reconcile()`: read the whole desired state, compare with
 * what is applied, and apply the difference either at runtime (membership) or by render + reload (structure).
 * Failures leave the proxy on its last good config and show up in the status' lastError and the metrics.
 */
import type { Etcd3 } from "etcd3";
import type { GatewayStatus } from "../../lib/etcd/status";
import { gatewayStatusKey, servicesPrefix } from "../../lib/etcd/keys";
import type { Logger } from "../../lib/log";
import { Debouncer } from "./debounce";
import { buildDesiredState, type DesiredState } from "./desired";
import { resolveDesired, systemLookup, type Lookup } from "./resolve";
import { ApplyError, type ProxyDriver } from "./drivers/types";
import { listPrefix, PrefixWatch } from "./etcd-source";
import { HealthChecker } from "./health";
import type { Metrics } from "./metrics";
import { buildStatus, StatusPublisher } from "./status-publisher";
import { buildProxyView, countEndpoints, membershipKey, newlyRemoved, structureKey, type DrainingEndpoint, type ProxyView } from "./view";

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

export class GatewayAgent {
  private readonly watch: PrefixWatch;
  private readonly debouncer: Debouncer;
  private readonly health: HealthChecker;
  private readonly status: StatusPublisher;
  private desired?: DesiredState;
  private applied?: { view: ProxyView; structure: string; membership: string };
  private appliedRevision = 0;
  private appliedAt = new Date();
  private lastError: GatewayStatus["lastError"] = null;
  private draining: DrainingEndpoint[] = [];
  private warned = new Set<string>();
  /** Time of the first watch event not yet applied (for the watch-lag metric). */
  private firstPendingEventAt?: number;
  private busy = false;
  private again: { relist: boolean } | undefined;
  private retryTimer?: NodeJS.Timeout;
  private drainTimer?: NodeJS.Timeout;
  private resyncTimer?: NodeJS.Timeout;
  private stopped = false;
  private readonly lookup: Lookup = systemLookup;
  /** Hosts already reported as not resolving, so a persistent failure is logged once. */
  private unresolvedHosts = new Set<string>();
  etcdUp = false;

  constructor(private readonly o: AgentOptions, private readonly etcd: Etcd3, readonly driver: ProxyDriver, private readonly metrics: Metrics, private readonly log: Logger) {
    this.debouncer = new Debouncer(o.quietMs, o.maxWaitMs, () => this.reconcile(true));
    this.watch = new PrefixWatch(etcd, servicesPrefix(o.root), {
      changed: (rev) => {
        metrics.seenRevision.set(rev);
        this.firstPendingEventAt ??= Date.now();
        this.debouncer.signal();
      },
      resync: (reason) => {
        log.info({ reason }, "re-listing the services root");
        this.debouncer.signal();
      },
    }, log);
    this.health = new HealthChecker({
      intervalMs: o.healthIntervalMs,
      timeoutMs: o.healthTimeoutMs,
      rise: o.healthRise,
      fall: o.healthFall,
      onChange: () => this.reconcile(false),
    });
    this.status = new StatusPublisher(etcd, gatewayStatusKey(o.root, o.id), o.statusTtlSeconds, log, metrics);
    driver.onRestart = () => {
      // The proxy came back on the last config file; push membership again and re-check everything.
      this.applied = this.applied && { ...this.applied, membership: "" };
      this.reconcile(false);
    };
  }

  start(): void {
    this.health.start();
    this.reconcile(true);
    this.resyncTimer = setInterval(() => this.reconcile(true), this.o.resyncMs);
  }

  healthReport() {
    // Healthy once the proxy runs a config we applied: from then on it serves, whatever etcd does.
    const serving = this.driver.running() && this.applied !== undefined;
    return {
      ok: serving,
      proxy: this.driver.running() ? "running" : "down",
      kind: this.driver.kind,
      etcd: this.etcdUp ? "up" : "unreachable",
      appliedRevision: this.appliedRevision,
      lastError: this.lastError,
    };
  }

  /** Serialized: a call while one runs is folded into one more run afterwards. */
  reconcile(relist: boolean): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = { relist: relist || (this.again?.relist ?? false) };
      return;
    }
    this.busy = true;
    void this.reconcileOnce(relist).finally(() => {
      this.busy = false;
      const next = this.again;
      this.again = undefined;
      if (next) this.reconcile(next.relist);
    });
  }

  private async reconcileOnce(relist: boolean): Promise<void> {
    const eventAt = this.firstPendingEventAt;
    if (relist || !this.desired) {
      try {
        const { revision, kvs } = await listPrefix(this.etcd, servicesPrefix(this.o.root));
        this.firstPendingEventAt = undefined;
        this.etcdUp = true;
        this.metrics.etcdUp.set(1);
        this.desired = buildDesiredState(this.o.root, kvs, revision, this.o.defaultHealthPath);
        this.reportWarnings(this.desired);
        this.watch.start(revision);
      } catch (e) {
        this.etcdUp = false;
        this.metrics.etcdUp.set(0);
        this.metrics.failures.inc({ stage: "list" });
        this.log.warn({ err: (e as Error).message }, "cannot read etcd; the proxy keeps serving the last applied config");
        if (!this.retryTimer) this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.reconcile(true);
        }, 1000);
        if (!this.desired) return;
      }
    }
    // The proxies dial addresses, not names: resolve every reconcile (see resolve.ts).
    const { desired, unresolved } = await resolveDesired(this.desired!, this.lookup);
    for (const u of unresolved) if (!this.unresolvedHosts.has(u.host)) this.log.warn(u, "endpoint host does not resolve; it stays out of rotation until it does");
    this.unresolvedHosts = new Set(unresolved.map((u) => u.host));
    const now = Date.now();
    const stillDraining = this.draining.filter((d) => d.until > now);
    const drainingIds = new Set(stillDraining.map((d) => d.endpoint.id));
    this.draining = [...stillDraining, ...newlyRemoved(this.applied?.view, desired, now, this.o.drainMs).filter((d) => !drainingIds.has(d.endpoint.id))];
    this.scheduleDrainEnd();
    await this.health.setTargets(desired.services.flatMap((s) => s.endpoints.map((e) => ({ id: e.id, addr: e.addr, host: e.host, port: e.port, path: e.healthPath }))));
    const view = buildProxyView(desired, (id, addr) => this.health.get(id, addr), this.draining);
    const structure = structureKey(view);
    const membership = membershipKey(view);
    try {
      const reloadMembership = this.o.reloadPerChange && this.applied?.membership !== membership;
      if (!this.applied || this.applied.structure !== structure || !this.driver.running() || reloadMembership) {
        await this.driver.applyStructure(view);
        this.log.info({ revision: desired.revision, services: view.services.map((s) => s.name) }, "config rendered and (re)loaded");
      } else if (this.applied.membership !== membership) {
        await this.driver.applyMembership(view);
        this.log.info({ revision: desired.revision, endpoints: countEndpoints(view) }, "membership updated at runtime (no reload)");
      }
      this.applied = { view, structure, membership };
      if (this.driver.pendingWork?.()) {
        // e.g. haproxy could not delete a drained server yet (connections still open): try again shortly.
        this.applied.membership = "";
        if (!this.retryTimer) this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.reconcile(false);
        }, 1000);
      }
      if (desired.revision > this.appliedRevision) {
        this.appliedRevision = desired.revision;
        this.appliedAt = new Date();
      }
      this.lastError = null;
      this.metrics.lastApplyOk.set(1);
      if (eventAt !== undefined) this.metrics.watchLag.observe((Date.now() - eventAt) / 1000);
    } catch (e) {
      const stage = e instanceof ApplyError ? e.stage : "apply";
      const message = `${stage}: ${(e as Error).message}`;
      this.metrics.failures.inc({ stage });
      this.metrics.lastApplyOk.set(0);
      if (this.lastError?.message !== message) this.log.error({ stage, err: (e as Error).message, revision: desired.revision }, "apply failed; the proxy keeps its last good config");
      this.lastError = { at: new Date().toISOString(), message };
      // Retry later (a fixed template, a free port...), without spinning.
      if (!this.retryTimer) this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.reconcile(false);
      }, 2000);
    }
    this.metrics.appliedRevision.set(this.appliedRevision);
    this.metrics.endpoints.reset();
    for (const [svc, c] of Object.entries(countEndpoints(this.applied?.view ?? { services: [], defaultService: "" }))) {
      this.metrics.endpoints.set({ service: svc, state: "routed" }, c.total);
      this.metrics.endpoints.set({ service: svc, state: "enabled" }, c.enabled);
    }
    this.status.publish(buildStatus({
      id: this.o.id,
      kind: this.driver.kind,
      appliedRevision: this.appliedRevision,
      appliedAt: this.appliedAt,
      view: this.applied?.view,
      since: (id, addr) => this.health.get(id, addr).since,
      lastError: this.lastError,
    }));
  }

  private scheduleDrainEnd(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    if (this.draining.length === 0) return;
    const next = Math.min(...this.draining.map((d) => d.until));
    this.drainTimer = setTimeout(() => this.reconcile(false), Math.max(0, next - Date.now()) + 5);
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
    this.stopped = true;
    this.debouncer.cancel();
    for (const t of [this.retryTimer, this.drainTimer]) if (t) clearTimeout(t);
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.health.stop();
    await this.watch.close();
    await this.status.stop();
    await this.driver.stop();
  }
}
