/**
 * The registrator agent: wires the Docker source, the etcd store and lease, the planner and the reconcile
 * trigger together, and serves /healthz and /metrics. Level-triggered: every Docker event, deletion of one of
 * its keys, reconnect, lost lease or resync tick only *requests* a reconcile, and a reconcile compares all
 * running labelled containers with all keys it owns.
 */
import type { Etcd3, Watcher } from "etcd3";
import type http from "node:http";
import type { AddressInfo } from "node:net";
import { connectEtcd, type EtcdConnection } from "../../lib/etcd/client";
import type { Logger } from "../../lib/log";
import { DockerSource, eventVerb, type ContainerEvent } from "./docker";
import { startAgentServer, type HealthReport as AgentHealthReport } from "../../lib/agent-kit/http";
import { LeaseKeeper } from "../../lib/agent-kit/lease";
import { ReconcileTrigger } from "../../lib/agent-kit/trigger";
import { RegistryStore } from "./etcd";
import { labelNames, registrationFor, type ContainerFacts, type Registration, type RegistrationSettings } from "./labels";
import { createMetrics, type RegistratorMetrics } from "./metrics";
import { planSync } from "./planner";

export interface RegistratorConfig {
  etcd: EtcdConnection;
  root: string;
  registratorId: string;
  hostIp: string;
  ttlSeconds: number;
  /** Full resync every this many seconds (0: only on events, reconnects and deletions). */
  resyncIntervalSeconds: number;
  dockerUrl: string;
  labelPrefix: string;
  /** Where /healthz and /metrics listen; undefined: no HTTP server. */
  listen?: { host: string; port: number };
}

/** Reasons after which every container is inspected again rather than trusting the inspect cache. */
const FULL_RESYNC = new Set(["start", "periodic", "docker-reconnect", "etcd-reconnect", "lease-lost"]);

export interface HealthReport extends AgentHealthReport {
  registratorId: string;
  docker: "connected" | "disconnected";
  lease: "alive" | "failing" | "none";
  leaseId?: string;
  registered: number;
  consecutiveFailures: number;
  lastError?: string;
  lastReconcileAt?: string;
}

export class Registrator {
  readonly metrics: RegistratorMetrics;
  private readonly client: Etcd3;
  private readonly store: RegistryStore;
  private readonly leases: LeaseKeeper;
  private readonly docker: DockerSource;
  private readonly trigger: ReconcileTrigger;
  private readonly settings: RegistrationSettings;
  private server: http.Server | undefined;
  private watcher: Watcher | undefined;
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastError: string | undefined;
  private lastReconcileAt: Date | undefined;
  private registered = 0;
  /** Last problem logged per container, so a misconfigured container is reported once, not every reconcile. */
  private reported = new Map<string, string>();

  constructor(private readonly cfg: RegistratorConfig, private readonly log: Logger, metrics?: RegistratorMetrics) {
    this.metrics = metrics ?? createMetrics();
    this.settings = { root: cfg.root, registratorId: cfg.registratorId, hostIp: cfg.hostIp, labels: labelNames(cfg.labelPrefix) };
    this.client = connectEtcd(cfg.etcd);
    this.store = new RegistryStore(this.client, cfg.etcd, cfg.root);
    this.leases = new LeaseKeeper(this.client, cfg.etcd, cfg.ttlSeconds, (id) => {
      this.metrics.leases.inc();
      log.info({ leaseId: id, ttlSeconds: cfg.ttlSeconds }, "lease granted");
    });
    this.docker = new DockerSource({ url: cfg.dockerUrl, serviceLabel: this.settings.labels.service, log });
    this.trigger = new ReconcileTrigger({
      run: (reasons) => this.reconcile(reasons),
      onError: (err, attempt, retryInMs) => {
        this.lastError = (err as Error).message ?? String(err);
        const kind = /etcd/i.test(this.lastError) ? "etcd" : /docker|ECONNREFUSED|ENOENT|socket/i.test(this.lastError) ? "docker" : "reconcile";
        this.metrics.errors.inc({ kind });
        log.error({ err: this.lastError, attempt, retryInMs }, "reconcile failed; retrying");
      },
    });
  }

  async start(): Promise<void> {
    const { cfg, log } = this;
    log.info({ registratorId: cfg.registratorId, hostIp: cfg.hostIp, root: cfg.root, ttlSeconds: cfg.ttlSeconds, docker: cfg.dockerUrl, etcd: cfg.etcd.endpoints, labels: this.settings.labels }, "registrator starting");
    if (cfg.listen) await this.listen(cfg.listen);

    this.leases.on("lost", (err: Error) => {
      this.metrics.errors.inc({ kind: "lease" });
      log.warn({ err: err?.message }, "lease lost (etcd unreachable longer than the TTL?); granting a new one and re-registering");
      this.trigger.request("lease-lost");
    });
    this.leases.on("recovered", () => {
      log.info("lease keep-alives succeed again");
      this.trigger.request("etcd-reconnect");
    });

    this.docker.on("connected", () => {
      log.info("Docker event stream connected");
      this.trigger.request("docker-reconnect");
    });
    this.docker.on("disconnected", (err: Error, retryInMs: number, wasConnected: boolean) => {
      this.metrics.errors.inc({ kind: "docker" });
      const msg = `Docker event stream ${wasConnected ? "broke" : "unavailable"}: ${err.message}; reconnecting in ${retryInMs} ms`;
      if (wasConnected) log.error(msg);
      else log.warn(msg);
    });
    this.docker.on("event", (ev: ContainerEvent) => {
      if (!ev.labelled) return;
      const verb = eventVerb(ev.action);
      this.metrics.events.inc({ action: verb });
      log.debug({ container: ev.id.slice(0, 12), action: ev.action }, "docker event");
      this.trigger.request(`docker:${verb}`);
    });
    this.docker.start();
    void this.watchKeys();

    if (cfg.resyncIntervalSeconds > 0) {
      this.resyncTimer = setInterval(() => this.trigger.request("periodic"), cfg.resyncIntervalSeconds * 1000);
      this.resyncTimer.unref();
    }
    this.trigger.request("start");
  }

  /** The watch on its own keys; retried until etcd answers (etcd3 reconnects it by itself afterwards). */
  private async watchKeys(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt++) {
      try {
        this.watcher = await this.store.watchOwnKeys(this.cfg.registratorId, (reason) => {
          if (reason !== "etcd-reconnect") this.log.warn({ reason }, "one of this registrator's keys was changed by someone else; resyncing");
          else this.log.info("etcd watch reconnected; resyncing");
          this.trigger.request(reason);
        }, this.log);
        if (this.stopped) await this.watcher.cancel();
        return;
      } catch (err) {
        this.metrics.errors.inc({ kind: "etcd" });
        const delay = Math.min(5000, 100 * 2 ** Math.min(attempt, 10));
        this.log.warn({ err: (err as Error).message, retryInMs: delay }, "cannot watch the registry yet");
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private async reconcile(reasons: string[]): Promise<void> {
    const started = process.hrtime.bigint();
    for (const r of reasons) this.metrics.resyncs.inc({ reason: r.startsWith("docker:") ? "docker-event" : r });
    if (reasons.some((r) => FULL_RESYNC.has(r))) this.docker.forget();

    let containers: ContainerFacts[];
    try {
      containers = await this.docker.runningLabelled();
    } catch (err) {
      // The daemon cannot be asked (stopping, restarting, crashed). Keys of containers that events reported
      // going away are still removed; nothing is added on stale knowledge; the trigger retries with backoff.
      const known = this.docker.lastKnownRunning();
      if (known) await this.sync(known, { deletesOnly: true }).catch(() => undefined);
      throw new Error(`Docker API unavailable at ${this.cfg.dockerUrl}: ${(err as Error).message}`);
    }
    await this.sync(containers, { deletesOnly: false });
    this.metrics.reconcileSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    this.lastError = undefined;
    this.lastReconcileAt = new Date();
    this.log.debug({ reasons, registered: this.registered }, "reconciled");
  }

  /** Plans from these containers against etcd and applies the plan (or only its deletions). */
  private async sync(containers: ContainerFacts[], o: { deletesOnly: boolean }): Promise<void> {
    const desired: Registration[] = [];
    const problems = new Map<string, string>();
    for (const c of containers) {
      const d = registrationFor(c, this.settings);
      if (d.kind === "register") desired.push(d.registration);
      else if (d.kind === "invalid") problems.set(c.name, d.problem);
    }
    const leaseId = await this.leases.ensure();
    const current = await this.store.read();
    const full = planSync({ desired, current, registratorId: this.cfg.registratorId, leaseId });
    const plan = o.deletesOnly ? { ...full, puts: [] } : full;
    if (!o.deletesOnly) {
      for (const c of plan.conflicts) problems.set(c.containerName, `${c.key}: ${c.problem}`);
      this.reportProblems(problems);
    }

    const result = await this.store.apply(plan, leaseId);
    for (const p of plan.puts) if (!result.raced.includes(p.key)) this.log.info({ key: p.key, value: p.value, why: p.why }, "registered");
    for (const d of plan.deletes) if (!result.raced.includes(d.key)) this.log.info({ key: d.key, ...(o.deletesOnly ? { from: "docker events while the API is unavailable" } : {}) }, "deregistered");
    this.metrics.writes.inc({ op: "put" }, result.put);
    this.metrics.writes.inc({ op: "delete" }, result.deleted);
    if (o.deletesOnly) return;
    this.metrics.registered.set(plan.registered);
    this.metrics.conflicts.set(plan.conflicts.length);
    this.metrics.invalid.set(problems.size - plan.conflicts.length);
    this.registered = plan.registered;
    if (result.raced.length) this.trigger.request("raced");
  }

  private reportProblems(problems: Map<string, string>): void {
    for (const [container, problem] of problems) {
      if (this.reported.get(container) !== problem) this.log.warn({ container, problem }, "labelled container not registered");
    }
    this.reported = problems;
  }

  health(): HealthReport {
    const lease = this.leases.currentId === undefined ? "none" : this.leases.alive ? "alive" : "failing";
    const docker = this.docker.isConnected ? "connected" : "disconnected";
    const failures = this.trigger.consecutiveFailures;
    return {
      ok: docker === "connected" && lease === "alive" && failures === 0 && this.lastReconcileAt !== undefined,
      registratorId: this.cfg.registratorId,
      docker,
      lease,
      ...(this.leases.currentId ? { leaseId: this.leases.currentId } : {}),
      registered: this.registered,
      consecutiveFailures: failures,
      ...(this.lastError ? { lastError: this.lastError } : {}),
      ...(this.lastReconcileAt ? { lastReconcileAt: this.lastReconcileAt.toISOString() } : {}),
    };
  }

  /** Resolves when no reconcile is running or queued. */
  idle(): Promise<void> {
    return this.trigger.idle();
  }

  get address(): AddressInfo | undefined {
    return this.server?.address() as AddressInfo | undefined;
  }

  private async listen(at: { host: string; port: number }): Promise<void> {
    this.server = await startAgentServer({ name: "registrator", ...at, registry: this.metrics.registry, health: () => this.health() });
    this.log.info({ address: this.address }, "serving /healthz and /metrics");
  }

  /**
   * Stops without revoking the lease: the keys stay until the TTL runs out, so a restart (same registrator
   * id) takes them over without the backends flapping out of the gateways.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    this.trigger.stop();
    this.docker.stop();
    await this.watcher?.cancel().catch(() => undefined);
    this.leases.release();
    this.client.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
