/**
 * The gateway's Prometheus metrics (prom-client, own registry); lib/agent-kit/http.ts serves them.
 */
import client from "prom-client";

export function createMetrics() {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "switchyard_gateway_process_" });
  const m = {
    registry,
    renders: new client.Counter({ name: "switchyard_gateway_renders_total", help: "Config renders, by result (ok, invalid = rejected by the proxy's validation, error)", labelNames: ["result"], registers: [registry] }),
    reloads: new client.Counter({ name: "switchyard_gateway_reloads_total", help: "Graceful proxy reloads, by result", labelNames: ["result"], registers: [registry] }),
    runtimeUpdates: new client.Counter({ name: "switchyard_gateway_runtime_updates_total", help: "Membership changes applied without a reload, by result", labelNames: ["result"], registers: [registry] }),
    failures: new client.Counter({ name: "switchyard_gateway_failures_total", help: "Failures, by stage (list, render, validate, reload, runtime, status, proxy_exit)", labelNames: ["stage"], registers: [registry] }),
    keyWarnings: new client.Counter({ name: "switchyard_gateway_skipped_keys_total", help: "Unparsable keys or values skipped with a warning (counted once per key and value)", registers: [registry] }),
    invalidKeys: new client.Gauge({ name: "switchyard_gateway_invalid_keys", help: "Keys currently skipped because they cannot be parsed", registers: [registry] }),
    watchLag: new client.Histogram({ name: "switchyard_gateway_watch_lag_seconds", help: "Time from a watch event to the change being applied to the proxy", buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    appliedRevision: new client.Gauge({ name: "switchyard_gateway_applied_revision", help: "etcd revision applied to the running proxy", registers: [registry] }),
    seenRevision: new client.Gauge({ name: "switchyard_gateway_seen_revision", help: "Highest etcd revision seen on the watch", registers: [registry] }),
    endpoints: new client.Gauge({ name: "switchyard_gateway_endpoints", help: "Endpoints per service: routed (listed) and enabled (taking new requests)", labelNames: ["service", "state"], registers: [registry] }),
    statusBytes: new client.Counter({ name: "switchyard_gateway_status_bytes_total", help: "Bytes of keys and values written to the gateway's status keys (only what changed is written)", registers: [registry] }),
    statusWrites: new client.Counter({ name: "switchyard_gateway_status_writes_total", help: "Status writes (each one or more transactions of changed keys)", registers: [registry] }),
    etcdUp: new client.Gauge({ name: "switchyard_gateway_etcd_up", help: "1 when the last etcd read succeeded", registers: [registry] }),
    lastApplyOk: new client.Gauge({ name: "switchyard_gateway_last_apply_ok", help: "1 when the last apply succeeded, 0 when the proxy serves an older config", registers: [registry] }),
  };
  for (const r of ["ok", "invalid", "error"]) m.renders.inc({ result: r }, 0);
  for (const r of ["ok", "error"]) {
    m.reloads.inc({ result: r }, 0);
    m.runtimeUpdates.inc({ result: r }, 0);
  }
  return m;
}

export type Metrics = ReturnType<typeof createMetrics>;
