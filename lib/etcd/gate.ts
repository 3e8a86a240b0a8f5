/**
 * The writer's side of the gateway status protocol (status.ts): after a put or delete at revision R, wait until
 * every live gateway under <root>/gateways/ has applied R and routes (healthy) / no longer routes the endpoint.
 *
 * Level-triggered: every wake-up re-reads the live gateways' summaries and each one's report of the awaited
 * endpoint (one small key per gateway, whatever the size of the registry) and asks the pure `evaluateGate`.
 * The watch on the status prefixes only makes the wake-up prompt; a periodic re-list is the backstop, because an etcd3 watch can stall
 * silently after a reconnect (microsoft/etcd3#114, #78) and a missed event must not turn into a hang.
 * Zero live gateways is a deliberate, logged "done": nothing routes traffic, so there is nothing to wait for.
 */
import type { Etcd3 } from "etcd3";
import { gatewaysPrefix, normalizeRoot } from "./keys";
import { describeWaiting, evaluateGate, type GateTarget, type GateWaiting } from "./status";
import { readGatewayStatuses } from "./status-io";

/** The logging the gate needs (a pino logger fits). */
export interface GateLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface GateOptions {
  /** Give up after this long; the error carries the gateways' reasons. */
  timeoutMs: number;
  /**
   * Fail before the timeout once a gateway that has applied the revision has reported the endpoint
   * "unhealthy" for this long (a new backend often fails its first probes while starting). Default
   * min(timeoutMs, 15000).
   */
  unhealthyGraceMs?: number;
  /** Re-list interval, the backstop to the watch. Default 500. */
  pollMs?: number;
  log?: GateLog;
}

export interface GateResult {
  /** Gateways that confirmed. */
  gateways: string[];
  /** True when no gateway was live: nothing was waited for. */
  noGateways: boolean;
  waitedMs: number;
  /** Status keys that could not be parsed (skipped, as the gateway itself would skip a bad key). */
  skipped: string[];
}

export class GateFailedError extends Error {
  constructor(
    message: string,
    readonly reason: "timeout" | "unhealthy",
    readonly waiting: GateWaiting[],
    readonly waitedMs: number,
  ) {
    super(message);
    this.name = "GateFailedError";
  }
}

/** Pure: one line naming what was awaited, for logs and errors. */
export function describeTarget(t: GateTarget): string {
  if (t.expect === "applied") return `gateways to apply revision ${t.revision} (${t.what})`;
  return t.expect === "routed"
    ? `gateways to apply revision ${t.revision} and route ${t.endpoint}${t.addr ? ` (${t.addr})` : ""} healthy`
    : `gateways to apply revision ${t.revision} and stop routing ${t.endpoint}`;
}

/**
 * Pure: tracks since when each gateway has reported the endpoint unhealthy; returns the gateways whose
 * unhealthy report is older than the grace. `since` is updated in place.
 */
export function overdueUnhealthy(waiting: GateWaiting[], since: Map<string, number>, now: number, graceMs: number): GateWaiting[] {
  const current = new Set(waiting.filter((w) => w.unhealthy).map((w) => w.gateway));
  for (const g of [...since.keys()]) if (!current.has(g)) since.delete(g);
  for (const g of current) if (!since.has(g)) since.set(g, now);
  return waiting.filter((w) => w.unhealthy && now - (since.get(w.gateway) ?? now) >= graceMs);
}

export async function waitForGate(client: Etcd3, root: string, target: GateTarget, opts: GateOptions): Promise<GateResult> {
  const log = opts.log ?? defaultLog();
  const prefix = gatewaysPrefix(root);
  // <root>/gateways/ (summaries) and <root>/gateway-endpoints/ (reports) share this prefix and nothing else does.
  const watched = `${normalizeRoot(root)}/gateway`;
  // A gate on an endpoint reads that endpoint's report of each gateway; one on a route only the summaries.
  const scope = "endpoint" in target
    ? { endpoint: { service: target.endpoint.slice(0, target.endpoint.indexOf("/")), endpoint: target.endpoint.slice(target.endpoint.indexOf("/") + 1) } }
    : { summariesOnly: true };
  const started = Date.now();
  const deadline = started + opts.timeoutMs;
  const graceMs = opts.unhealthyGraceMs ?? Math.min(opts.timeoutMs, 15_000);
  const pollMs = opts.pollMs ?? 500;
  const unhealthySince = new Map<string, number>();

  let wake: () => void = () => undefined;
  let finished = false;
  let watcher: { cancel(): Promise<void> } | undefined;
  // The watch is started in the background: creating it needs the cluster, and a gate must stay bounded
  // even when etcd is not answering (the re-list below then reports the etcd error as the reason).
  client
    .watch()
    .prefix(watched)
    .create()
    .then((w) => {
      w.on("data", () => wake());
      w.on("error", (err) => log.warn({ err: String(err) }, "gate watch failed; relying on polling"));
      if (finished) void w.cancel().catch(() => undefined);
      else watcher = w;
    })
    .catch((err) => log.warn({ err: String(err) }, "gate watch could not be created; relying on polling"));

  let waiting: GateWaiting[] = [];
  try {
    for (;;) {
      try {
        const { statuses, skipped } = await readGatewayStatuses(client, root, scope);
        if (skipped.length) log.warn({ skipped }, "skipping unparsable gateway status keys");
        const verdict = evaluateGate(statuses, target);
        if (verdict.done) {
          const waitedMs = Date.now() - started;
          if (verdict.noGateways) {
            log.warn({ prefix, target }, `no live gateway under ${prefix}: nothing routes traffic, so nothing to wait for`);
          } else {
            log.info({ gateways: verdict.gateways, waitedMs, target }, "gate passed");
          }
          return { gateways: verdict.gateways, noGateways: verdict.noGateways, waitedMs, skipped };
        }
        waiting = verdict.waiting;
        const overdue = overdueUnhealthy(waiting, unhealthySince, Date.now(), graceMs);
        if (overdue.length) {
          const waitedMs = Date.now() - started;
          throw new GateFailedError(
            `gateways report ${"endpoint" in target ? target.endpoint : target.what} unhealthy for ${graceMs} ms or more: ${describeWaiting(overdue)}`,
            "unhealthy",
            waiting,
            waitedMs,
          );
        }
      } catch (err) {
        if (err instanceof GateFailedError) throw err;
        // etcd trouble while waiting is a reason to keep waiting (bounded by the deadline), and to say so.
        waiting = [{ gateway: "(etcd)", reason: `could not list ${prefix}: ${String((err as Error)?.message ?? err).split("\n")[0]}`, unhealthy: false }];
      }
      const now = Date.now();
      if (now >= deadline) {
        throw new GateFailedError(
          `timed out after ${opts.timeoutMs} ms waiting for ${describeTarget(target)}: ${describeWaiting(waiting)}`,
          "timeout",
          waiting,
          now - started,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(pollMs, deadline - now));
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  } finally {
    finished = true;
    await watcher?.cancel().catch(() => undefined);
  }
}

function defaultLog(): GateLog {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createLogger } = require("../log") as typeof import("../log");
  return createLogger("gate");
}
