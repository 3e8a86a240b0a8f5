/**
 * The one etcd client module: the Upstream provider, the gateway agent, the registrator, the benchmarks and
 * the tests all connect through `connectEtcd`, so deadlines, keepalives, TLS and error messages are the same
 * everywhere.
 *
 * Why the settings below (etcd3 1.1.x behaviour we work around):
 * - etcd3 sets no deadline by default: a call against a cluster that lost quorum waits forever. Every unary
 *   call gets `callTimeoutMs`; streams (watch, lease keep-alive) get none, they are long-lived by design.
 * - etcd3's default per-host circuit breaker opens for 5 s after three failures. switchyard clients talk to a
 *   single endpoint (the proxy), so an open breaker means every call fails fast for 5 s after a blip that is
 *   already over. We use no breaker and no blind retries: callers own their retry loops and their deadlines.
 * - etcd3's default watch reconnect backoff grows to 30 s; a gateway must catch up within a second or two of
 *   etcd coming back, so the backoff is capped at `watchBackoffMaxMs`.
 * - gRPC keepalive pings detect a dead TCP path (a killed proxy, a dropped host) in seconds instead of the
 *   kernel's minutes.
 */
import type { Etcd3, IOptions } from "etcd3";

type WatchBackoff = NonNullable<NonNullable<IOptions["faultHandling"]>["watchBackoff"]>;

export interface EtcdTls {
  /** PEM of the CA that signed the etcd server certificates. */
  ca: string;
  /** PEM client certificate and key, for client-certificate authentication. */
  cert?: string;
  key?: string;
}

export interface EtcdConnection {
  /** Client URLs, e.g. ["http://127.0.0.1:2379"]. On switchyard stacks this is the proxy alone. */
  endpoints: string[];
  /** Deadline of every unary call (get, put, txn, delete, lease grant). Default 5000. */
  callTimeoutMs?: number;
  /** How long to wait for a connection. Default 5000. */
  dialTimeoutMs?: number;
  tls?: EtcdTls;
  auth?: { username: string; password: string };
  /** gRPC keepalive ping interval. Default 5000. */
  keepaliveMs?: number;
  /** Upper bound of the watch reconnect backoff. Default 1000. */
  watchBackoffMaxMs?: number;
}

export const DEFAULT_CALL_TIMEOUT_MS = 5000;

/** Problems with connection settings, each naming the field; empty when the settings are usable. */
export function connectionProblems(c: Partial<EtcdConnection>): string[] {
  const problems: string[] = [];
  if (!Array.isArray(c.endpoints) || c.endpoints.length === 0) {
    problems.push("endpoints: give at least one client URL, e.g. http://127.0.0.1:2379");
  } else {
    for (const e of c.endpoints) {
      if (!/^https?:\/\/[^/\s]+:\d+\/?$/.test(e)) problems.push(`endpoints: '${e}' is not http(s)://host:port`);
      if (e.startsWith("https://") && !c.tls) problems.push(`endpoints: '${e}' uses https but no tls.ca is given`);
    }
  }
  for (const k of ["callTimeoutMs", "dialTimeoutMs", "keepaliveMs", "watchBackoffMaxMs"] as const) {
    const v = c[k];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) problems.push(`${k}: must be a positive number of milliseconds, got ${String(v)}`);
  }
  if (c.tls && (!c.tls.cert !== !c.tls.key)) problems.push("tls: give both cert and key, or neither");
  if (c.auth && (!c.auth.username || !c.auth.password)) problems.push("auth: username and password are both required");
  return problems;
}

/** Creates a client. `require`s etcd3 lazily so that the dynamic provider's serialized closure stays small. */
export function connectEtcd(c: EtcdConnection): Etcd3 {
  const problems = connectionProblems(c);
  if (problems.length) throw new Error(`invalid etcd connection settings: ${problems.join("; ")}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Etcd3 } = require("etcd3") as typeof import("etcd3");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cockatiel = require("cockatiel") as typeof import("cockatiel");
  const callTimeout = c.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const keepalive = c.keepaliveMs ?? 5000;
  const options: IOptions = {
    hosts: c.endpoints,
    dialTimeout: c.dialTimeoutMs ?? 5000,
    defaultCallOptions: (ctx) => (ctx.isStream ? {} : { deadline: Date.now() + callTimeout }),
    grpcOptions: {
      "grpc.keepalive_time_ms": keepalive,
      "grpc.keepalive_timeout_ms": Math.max(1000, Math.floor(keepalive / 2)),
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.initial_reconnect_backoff_ms": 100,
      "grpc.max_reconnect_backoff_ms": 1000,
    },
    faultHandling: {
      host: () => cockatiel.noop,
      global: cockatiel.noop,
      // etcd3 types this as a backoff but uses it as a factory (calls .next()), which is what we pass.
      watchBackoff: new cockatiel.ExponentialBackoff({ initialDelay: 100, maxDelay: c.watchBackoffMaxMs ?? 1000 }) as unknown as WatchBackoff,
    },
  };
  if (c.tls) {
    options.credentials = {
      rootCertificate: Buffer.from(c.tls.ca),
      ...(c.tls.cert && c.tls.key ? { certChain: Buffer.from(c.tls.cert), privateKey: Buffer.from(c.tls.key) } : {}),
    };
  }
  if (c.auth) options.auth = { ...c.auth, callOptions: () => ({ deadline: Date.now() + callTimeout }) };
  return new Etcd3(options);
}

/** An error whose message an operator can act on; `cause` keeps the original. */
export class EtcdOperationError extends Error {
  constructor(message: string, readonly kind: EtcdErrorKind, readonly cause?: unknown) {
    super(message);
    this.name = "EtcdOperationError";
  }
}

export type EtcdErrorKind = "unreachable" | "timeout" | "permission" | "auth" | "compacted" | "other";

export function classifyEtcdError(err: unknown): EtcdErrorKind {
  const e = err as { name?: string; message?: string; constructor?: { name?: string } };
  const name = e?.constructor?.name ?? e?.name ?? "";
  const msg = String(e?.message ?? err);
  if (name === "EtcdPermissionDeniedError" || /permission denied/i.test(msg)) return "permission";
  if (name === "EtcdAuthenticationFailedError" || name === "EtcdInvalidAuthTokenError" || name === "GRPCUnauthenticatedError" || /authentication failed|invalid auth token|user name is empty/i.test(msg)) return "auth";
  if (/compacted/i.test(msg)) return "compacted";
  if (name === "GRPCDeadlineExceededError" || /deadline exceeded|request timed out|timed out|leader changed|no leader/i.test(msg)) return "timeout";
  if (name === "GRPCUnavailableError" || name === "GRPCConnectFailedError" || /unavailable|ECONNREFUSED|No connection established|failed to connect|connection refused/i.test(msg)) return "unreachable";
  return "other";
}

/**
 * Maps an etcd3/gRPC error to a message that says what happened and what to do.
 * `what` names the operation ("put /switchyard/services/app/upstream/v1-0"), `who` the identity if any.
 */
export function explainEtcdError(err: unknown, c: Pick<EtcdConnection, "endpoints" | "callTimeoutMs" | "auth">, what: string): EtcdOperationError {
  if (err instanceof EtcdOperationError) return err;
  const kind = classifyEtcdError(err);
  const where = c.endpoints.join(",");
  const detail = String((err as Error)?.message ?? err).split("\n")[0];
  const user = c.auth?.username ? `user ${c.auth.username}` : "this client";
  const timeout = c.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const messages: Record<EtcdErrorKind, string> = {
    unreachable: `etcd unreachable at ${where} during ${what}: ${detail}. Is the etcd proxy running? Check with: etcdctl --endpoints=${where} endpoint health`,
    timeout: `etcd did not answer ${what} within ${timeout} ms at ${where} (${detail}). The cluster has probably lost quorum (a majority of members down). Check with: etcdctl --endpoints=${where} endpoint status --cluster -w table`,
    permission: `permission denied for ${user} on ${what}: grant the role access to that key range (etcdctl role grant-permission)`,
    auth: `etcd authentication failed for ${user} during ${what}: ${detail}. Check the username/password or client certificate`,
    compacted: `etcd revision needed for ${what} has been compacted: re-list and resume from the current revision`,
    other: `etcd error during ${what} at ${where}: ${detail}`,
  };
  return new EtcdOperationError(messages[kind], kind, err);
}

/** Runs one etcd call and rethrows failures as explained errors. */
export async function etcdCall<T>(c: EtcdConnection, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainEtcdError(err, c, what);
  }
}
