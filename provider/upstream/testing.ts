/**
 * Test support: declares one Upstream under `pulumi.runtime.setMocks` and returns the `__provider` text the
 * engine would receive. Shared by the unit serialization test and the integration test that runs the text
 * against a real etcd.
 */
import { captureSerializedProvider } from "../testing";

export function captureProviderText(): Promise<string> {
  return captureSerializedProvider(async () => {
    const { Upstream } = await import("./index");
    new Upstream("serialize-probe", {
      service: "app",
      endpoint: "probe",
      value: "127.0.0.1:8080",
      connection: { endpoints: ["http://127.0.0.1:2379"], auth: { username: "u", password: "p" } },
    });
  });
}

/**
 * The gateway side of the status protocol, simulated and driven by a test. Like the real agent it is
 * level-triggered and event-driven: a change under <root>/services/ (watch) makes it re-list the services,
 * "apply" the listing's revision and rewrite its lease-bound status; it does nothing in between, so its
 * applied revision only advances on service changes, as a real gateway's does. The test decides what it
 * reports: "ack" (every endpoint healthy), "unhealthy" (every endpoint unhealthy with `reason`) or "frozen"
 * (stop applying: the status stays as it was). Setting `mode` re-applies at once, like a gateway catching up.
 */
export type SimMode = "ack" | "unhealthy" | "frozen";

export interface SimGateway {
  mode: SimMode;
  reason: string;
  /** The last status written. */
  last(): import("../../lib/etcd/status").GatewayStatus | undefined;
  /** How many times it re-listed the services. */
  reconciles(): number;
  stop(): Promise<void>;
}

export async function startSimGateway(
  client: import("etcd3").Etcd3,
  root: string,
  id: string,
  opts: { mode?: SimMode; leaseTtlS?: number } = {},
): Promise<SimGateway> {
  const keys = await import("../../lib/etcd/keys");
  const protocol = await import("../../lib/etcd/status");
  const statusIo = await import("../../lib/etcd/status-io");
  const lease = client.lease(opts.leaseTtlS ?? 10, { autoKeepAlive: true });
  const leaseId = await lease.grant();
  let written = new Map<string, string>();
  let last: import("../../lib/etcd/status").GatewayStatus | undefined;
  let mode: SimMode = opts.mode ?? "ack";
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;
  let count = 0;

  const applyOnce = async (initial: boolean) => {
    if (stopped || (mode === "frozen" && !initial)) return;
    count++;
    const res = await client.getAll().prefix(keys.servicesPrefix(root)).exec();
    const endpoints: import("../../lib/etcd/status").GatewayStatus["endpoints"] = {};
    for (const kv of res.kvs) {
      const k = keys.parseKey(root, kv.key.toString());
      if (k.kind !== "upstream") continue;
      const v = keys.parseUpstreamValue(kv.value.toString());
      if ("problem" in v) continue;
      endpoints[keys.endpointId(k.service, k.endpoint)] =
        mode !== "unhealthy" ? { addr: v.addr, health: "healthy" } : { addr: v.addr, health: "unhealthy", reason: sim.reason };
    }
    last = { protocol: protocol.STATUS_PROTOCOL_VERSION, id, kind: "sim", appliedRevision: Number(res.header.revision), appliedAt: new Date().toISOString(), endpoints, lastError: null };
    if (stopped) return;
    // The same writes as a real gateway's: the reports that changed, then the summary.
    const next = protocol.statusEntries(root, last);
    await statusIo.writeStatusChanges(client, protocol.statusChanges(written, next), leaseId);
    written = next;
  };
  // One reconcile at a time; a change that arrives meanwhile triggers exactly one more (nothing is lost).
  const reconcile = (initial = false): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await applyOnce(initial).catch(() => undefined);
        } while (again && !stopped);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const watcher = await client.watch().prefix(keys.servicesPrefix(root)).create();
  watcher.on("data", () => void reconcile());
  const sim: SimGateway = {
    get mode() {
      return mode;
    },
    set mode(m: SimMode) {
      mode = m;
      void reconcile();
    },
    reason: "GET / -> 500",
    last: () => last,
    reconciles: () => count,
    async stop() {
      stopped = true;
      await watcher.cancel().catch(() => undefined);
      await running;
      await lease.revoke().catch(() => undefined);
    },
  };
  // The first reconcile always runs: a gateway that starts reports what it applied, even if frozen afterwards.
  await reconcile(true);
  if (!last) throw new Error(`simulated gateway ${id} could not write its first status`);
  return sim;
}
