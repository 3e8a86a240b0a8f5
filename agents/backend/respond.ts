/**
 * What the demo backend answers, as pure functions of its settings, so the wire format is unit-tested without
 * a server. The body is one line, "<version> <container>", the way the source documents' whoami and
 * `python -m http.server` demos let a `curl` loop show which backend answered.
 */
export interface BackendSettings {
  version: string;
  /** The container's name (CONTAINER_NAME, set by the Backend component), else the hostname. */
  container: string;
  port: number;
  healthPath: string;
  /** FAIL_HEALTH=1: the health endpoint answers 503, to rehearse a bad release. */
  failHealth: boolean;
  /** How long a SIGTERM waits for in-flight requests before exiting anyway. */
  shutdownTimeoutMs: number;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv, hostname: string): BackendSettings {
  const port = Number(env.PORT ?? "8080");
  if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`PORT must be a TCP port, got "${env.PORT}"`);
  const healthPath = env.HEALTH_PATH ?? "/healthz";
  if (!healthPath.startsWith("/")) throw new Error(`HEALTH_PATH must start with "/", got "${healthPath}"`);
  return {
    version: env.VERSION ?? "dev",
    container: env.CONTAINER_NAME || hostname,
    port,
    healthPath,
    failHealth: ["1", "true", "yes"].includes((env.FAIL_HEALTH ?? "").toLowerCase()),
    shutdownTimeoutMs: Number(env.SHUTDOWN_TIMEOUT_MS ?? "10000"),
  };
}

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds to wait before answering (`?delay=`), so tests can hold a request in flight. */
  delayMs: number;
}

const MAX_DELAY_MS = 30_000;

export function reply(settings: BackendSettings, method: string, rawUrl: string, draining: boolean): Reply {
  const url = new URL(rawUrl, "http://backend");
  const headers: Record<string, string> = {
    "content-type": "text/plain; charset=utf-8",
    "x-backend-version": settings.version,
    "x-backend-container": settings.container,
  };
  if (method !== "GET" && method !== "HEAD") return { status: 405, headers: { ...headers, allow: "GET, HEAD" }, body: "method not allowed\n", delayMs: 0 };
  if (url.pathname === settings.healthPath) {
    if (settings.failHealth) return { status: 503, headers, body: "unhealthy (FAIL_HEALTH is set)\n", delayMs: 0 };
    if (draining) return { status: 503, headers, body: "draining\n", delayMs: 0 };
    return { status: 200, headers, body: "ok\n", delayMs: 0 };
  }
  const delay = Number(url.searchParams.get("delay") ?? "0");
  const delayMs = Number.isFinite(delay) && delay > 0 ? Math.min(delay, MAX_DELAY_MS) : 0;
  return { status: 200, headers, body: `${settings.version} ${settings.container}\n`, delayMs };
}
