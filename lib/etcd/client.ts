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
 *
 * etcd3 issues checked (github.com/microsoft/etcd3) and how they bear on us:
 * - #133 "Default deadline for grpc calls": fixed in 1.0.2 by `defaultCallOptions`, which we use above.
 * - #111 deadline for the auth token call: `auth.callOptions` gets the same deadline (an auth call against a
 *   quorum-less cluster would otherwise hang the first request forever).
 * - #114 / #78 a watch re-created after a reconnect could be cancelled by the server (permission denied) while
 *   the client kept waiting silently; 1.x now emits 'error'. Waiters here (lib/etcd/gate.ts) never rely on the
 *   watch alone: the watch only wakes them early, a periodic re-list (level-triggered) decides.
 * - #31 watch resumed from a revision ahead of a wiped store: fixed upstream (resume from min(db, seen)).
 * - #110 / #57 lease "lost" only detected after 2 x TTL when the keepalive stream stays ESTABLISHED on a dead
 *   path: gRPC keepalive pings (above) break such a stream within keepaliveMs + timeout, which makes the
 *   keepalive fail and the lease re-grant path run; agents re-put their keys on 'lost'.
 * - Timeouts say "deadline exceeded", not why: `diagnoseEtcd` probes the members to say "quorum lost: 1 of 3".
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
  /** gRPC keepalive ping interval. Default 10000 (etcd rejects pings more often than every 5 s as excess). */
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
  const keepalive = c.keepaliveMs ?? 10_000;
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
/**
 * Who the client is to etcd, for messages: the user name, or with client-certificate auth the certificate's
 * CN (etcd's user name for requests without a token). Never throws.
 */
export function clientIdentity(c: Pick<EtcdConnection, "auth" | "tls">): string {
  if (c.auth?.username) return `user ${c.auth.username}`;
  if (c.tls?.cert) {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { X509Certificate } = require("node:crypto") as typeof import("node:crypto");
      const cn = /(?:^|\n)CN=([^\n]+)/.exec(new X509Certificate(c.tls.cert).subject)?.[1];
      if (cn) return `certificate identity ${cn} (etcd user '${cn}')`;
    } catch {
      /* not a parsable certificate: fall through */
    }
  }
  return "this client";
}

export function explainEtcdError(err: unknown, c: Pick<EtcdConnection, "endpoints" | "callTimeoutMs" | "auth"> & Partial<Pick<EtcdConnection, "tls">>, what: string): EtcdOperationError {
  if (err instanceof EtcdOperationError) return err;
  const kind = classifyEtcdError(err);
  const where = c.endpoints.join(",");
  const detail = String((err as Error)?.message ?? err).split("\n")[0];
  const user = clientIdentity(c);
  // A handshake refused by client-cert auth (no certificate, another CA) surfaces as "unavailable" too.
  const tlsHint = c.endpoints.some((e) => e.startsWith("https://"))
    ? ". With TLS a refused handshake looks the same: check that the CA and the client certificate are the stack's (etcdctl --cacert --cert --key)"
    : "";
  const timeout = c.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  const messages: Record<EtcdErrorKind, string> = {
    unreachable: `etcd unreachable at ${where} during ${what}: ${detail}. Is the etcd proxy running? Check with: etcdctl --endpoints=${where} endpoint health${tlsHint}`,
    timeout: `etcd did not answer ${what} within ${timeout} ms at ${where} (${detail}). The cluster has probably lost quorum (a majority of members down). Check with: etcdctl --endpoints=${where} endpoint status --cluster -w table`,
    permission: `permission denied for ${user} on ${what}: grant the role access to that key range (etcdctl role grant-permission), or use an identity that has it (README "Security model")`,
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

/** One member as seen by `diagnoseEtcd`. */
export interface MemberProbe {
  name: string;
  url: string;
  /** It answered: its own status probe, or the member list through the configured endpoint. */
  reachable: boolean;
  /** Known to be down: its client URL refused the connection, or it never started. */
  down?: boolean;
  /** The member's own view of the leader (member id), when probed; "0" means it knows no leader. */
  leader?: string;
  error?: string;
}

export interface EtcdDiagnosis {
  /** One line an operator can act on, e.g. "etcd quorum lost: 1 of 3 members reachable (...)". */
  summary: string;
  members: MemberProbe[];
  reachable: number;
  total: number;
  /**
   * false: a majority is known to be down (quorum lost). true: a majority answered and one knows a leader.
   * undefined: cannot tell (election in progress, or member URLs not dialable from here).
   */
  quorum?: boolean;
}

/**
 * Finds out why calls time out or fail: asks the configured endpoint for the member list (served by any live
 * member without quorum in etcd 3.4, so it answers even when writes hang), then probes every member's client
 * URL with a short deadline (`status`, also served locally). Never throws; bounded by about 2 x probeTimeoutMs.
 *
 * Only a refused connection counts as "down": members advertise the URLs *they* were given (container names on
 * the docker target), which may not resolve or answer from where this runs, and a slow probe on a loaded
 * machine proves nothing. The member that answered the member list counts as reachable whatever its probe says.
 */
export async function diagnoseEtcd(c: EtcdConnection, opts: { probeTimeoutMs?: number } = {}): Promise<EtcdDiagnosis> {
  const probeTimeout = opts.probeTimeoutMs ?? 1000;
  const where = c.endpoints.join(",");
  const probeConn = (endpoints: string[]): EtcdConnection => ({ ...c, endpoints, callTimeoutMs: probeTimeout, dialTimeoutMs: probeTimeout });
  let listed: { id: string; name: string; url: string }[];
  let responder: string;
  const front = connectEtcd(probeConn(c.endpoints));
  try {
    const res = await front.cluster.memberList({}, { deadline: Date.now() + probeTimeout });
    responder = String(res.header.member_id);
    listed = res.members.map((m) => ({ id: String(m.ID), name: m.name || String(m.ID), url: m.clientURLs?.[0] ?? "" }));
  } catch (err) {
    const detail = String((err as Error)?.message ?? err).split("\n")[0];
    return { summary: `etcd unreachable: no member answered at ${where} (${detail})`, members: [], reachable: 0, total: 0, quorum: undefined };
  } finally {
    front.close();
  }
  const members = await Promise.all(
    listed.map(async ({ id, name, url }): Promise<MemberProbe> => {
      const answeredList = id === responder;
      if (!url) return { name, url, reachable: answeredList, down: !answeredList, error: "member has not started (no client URL)" };
      let client: Etcd3 | undefined;
      try {
        client = connectEtcd(probeConn([url]));
        const st = await client.maintenance.status({ deadline: Date.now() + probeTimeout });
        return { name, url, reachable: true, leader: String(st.leader) };
      } catch (err) {
        const error = String((err as Error)?.message ?? err).split("\n")[0];
        if (answeredList) return { name, url, reachable: true, error: `answered the member list through ${where}; own probe: ${error}` };
        return { name, url, reachable: false, down: /ECONNREFUSED|connection refused/i.test(error), error };
      } finally {
        client?.close();
      }
    }),
  );
  return { ...summarizeProbes(members, where), members };
}

/** Pure: turns member probes into the operator's one-line summary (exported for unit tests). */
export function summarizeProbes(members: MemberProbe[], where: string): Omit<EtcdDiagnosis, "members"> {
  const total = members.length;
  const up = members.filter((m) => m.reachable);
  const reachable = up.length;
  const down = members.filter((m) => !m.reachable && m.down).length;
  const majority = Math.floor(total / 2) + 1;
  const detail = members.map((m) => `${m.name} ${m.url || "-"}: ${m.reachable ? "up" : `${m.down ? "down" : "no answer"} (${m.error ?? "no answer"})`}`).join("; ");
  if (total - down < majority) {
    return { summary: `etcd quorum lost: ${reachable} of ${total} members reachable, ${majority} needed (${detail})`, reachable, total, quorum: false };
  }
  if (reachable < majority) {
    return {
      summary: `etcd members partly unreachable from here: ${reachable} of ${total} answered, ${majority} needed; the others may only be unreachable from this machine (advertised URLs), so quorum cannot be judged (${detail})`,
      reachable, total, quorum: undefined,
    };
  }
  const leaderless = up.every((m) => !m.leader || m.leader === "0");
  if (leaderless) {
    // A majority is up, so an election will most likely settle this: unknown, not lost.
    return { summary: `etcd has no leader: ${reachable} of ${total} members reachable but none reports a leader (election in progress?) (${detail})`, reachable, total, quorum: undefined };
  }
  return { summary: `etcd members healthy: ${reachable} of ${total} reachable with a leader (${detail}); the failure is likely transient or a slow disk`, reachable, total, quorum: true };
}

/** Thrown inside `etcdCallResilient` to ask its retry policy for another attempt. */
class TransientEtcdError extends Error {
  constructor(readonly explained: EtcdOperationError) {
    super(explained.message);
  }
}

/**
 * For idempotent or compare-guarded calls (the provider's transactions): a timeout while a majority of members
 * is up (a leader election after one member died: etcd 3.4 holds proposals made without a leader until its own
 * request timeout) is retried, up to `maxAttempts` in all; a timeout with quorum lost, or no member answering
 * at all, fails at once with the diagnosis. Bounded: at most maxAttempts x (callTimeoutMs + 2 probe deadlines).
 * Retrying is safe only when a repeated call cannot do harm, e.g. a txn whose compare fails the second time.
 */
export async function etcdCallResilient<T>(c: EtcdConnection, what: string, fn: () => Promise<T>, opts: { maxAttempts?: number } = {}): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cockatiel = require("cockatiel") as typeof import("cockatiel");
  const policy = cockatiel.retry(cockatiel.handleWhen((e) => e instanceof TransientEtcdError), {
    maxAttempts: Math.max(0, (opts.maxAttempts ?? 3) - 1),
    backoff: new cockatiel.ConstantBackoff(200),
  });
  try {
    return await policy.execute(async () => {
      try {
        return await fn();
      } catch (err) {
        const explained = explainEtcdError(err, c, what);
        if (explained.kind !== "timeout" && explained.kind !== "unreachable") throw explained;
        const diagnosis = await diagnoseEtcd(c, { probeTimeoutMs: Math.min(1000, c.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS) });
        const withDiagnosis = new EtcdOperationError(`${diagnosis.summary}. ${explained.message}`, explained.kind, err);
        if (diagnosis.quorum === false || diagnosis.total === 0) throw withDiagnosis;
        throw new TransientEtcdError(withDiagnosis);
      }
    });
  } catch (err) {
    if (err instanceof TransientEtcdError) throw err.explained;
    throw err;
  }
}
