/** The registrator's Prometheus metrics, on their own registry (so tests can create several agents). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function createMetrics(withProcessMetrics = true) {
  const registry = new Registry();
  if (withProcessMetrics) collectDefaultMetrics({ register: registry, prefix: "switchyard_registrator_" });
  const m = {
    registry,
    registered: new Gauge({ name: "switchyard_registrator_registered", help: "Keys this registrator owns and keeps registered", registers: [registry] }),
    conflicts: new Gauge({ name: "switchyard_registrator_conflicts", help: "Labelled containers whose key is held by someone else", registers: [registry] }),
    invalid: new Gauge({ name: "switchyard_registrator_invalid_containers", help: "Labelled containers skipped because of bad labels or no published port", registers: [registry] }),
    events: new Counter({ name: "switchyard_registrator_docker_events_total", help: "Docker container events received", labelNames: ["action"], registers: [registry] }),
    resyncs: new Counter({ name: "switchyard_registrator_resyncs_total", help: "Reconciles run, by the reason that triggered them", labelNames: ["reason"], registers: [registry] }),
    writes: new Counter({ name: "switchyard_registrator_etcd_writes_total", help: "Keys written or deleted", labelNames: ["op"], registers: [registry] }),
    errors: new Counter({ name: "switchyard_registrator_errors_total", help: "Errors, by where they happened", labelNames: ["kind"], registers: [registry] }),
    leases: new Counter({ name: "switchyard_registrator_leases_granted_total", help: "Leases granted (more than one means a lease was lost)", registers: [registry] }),
    reconcileSeconds: new Histogram({
      name: "switchyard_registrator_reconcile_seconds",
      help: "Duration of one reconcile (Docker list + etcd read + writes)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
  };
  for (const kind of ["docker", "etcd", "lease", "reconcile"]) m.errors.inc({ kind }, 0);
  return m;
}

export type RegistratorMetrics = ReturnType<typeof createMetrics>;
