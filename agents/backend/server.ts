/**
 * The demo backend: an HTTP service that answers with its version and container name and has a health
 * endpoint. On SIGTERM it stops accepting connections, lets in-flight requests finish (closing keep-alive
 * connections after their current response) and exits; past SHUTDOWN_TIMEOUT_MS it exits anyway.
 *
 * `node backend.js --check` probes the health endpoint of the server in the same container and exits 0/1:
 * the image has no curl, and an exec healthcheck needs a command.
 */
import http from "node:http";
import os from "node:os";
import { createLogger } from "../../lib/log";
import { reply, settingsFromEnv, type BackendSettings } from "./respond";

function serve(settings: BackendSettings): void {
  const log = createLogger("backend");
  let draining = false;
  const server = http.createServer((req, res) => {
    const r = reply(settings, req.method ?? "GET", req.url ?? "/", draining);
    const send = () => {
      // Decided at send time: a request that arrived before SIGTERM still closes its connection after.
      res.writeHead(r.status, draining ? { ...r.headers, connection: "close" } : r.headers);
      res.end(req.method === "HEAD" ? undefined : r.body);
    };
    if (r.delayMs > 0) setTimeout(send, r.delayMs);
    else send();
  });
  server.keepAliveTimeout = 65_000;
  server.listen(settings.port, "0.0.0.0", () => log.info({ ...settings }, "backend listening"));

  const shutdown = (signal: string) => {
    if (draining) return;
    draining = true;
    log.info({ signal }, "draining: no new connections, finishing in-flight requests");
    server.close(() => {
      log.info("all connections closed, exiting");
      process.exit(0);
    });
    // Idle keep-alive connections would hold close() open until their timeout; busy ones close after the response.
    server.closeIdleConnections();
    setTimeout(() => {
      log.warn({ timeoutMs: settings.shutdownTimeoutMs }, "shutdown timeout, exiting with requests in flight");
      process.exit(1);
    }, settings.shutdownTimeoutMs).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

function check(settings: BackendSettings): void {
  const req = http.get({ host: "127.0.0.1", port: settings.port, path: settings.healthPath, timeout: 2_000 }, (res) => {
    res.resume();
    process.exit(res.statusCode === 200 ? 0 : 1);
  });
  req.on("timeout", () => req.destroy(new Error("timeout")));
  req.on("error", () => process.exit(1));
}

const settings = settingsFromEnv(process.env, os.hostname());
if (process.argv.includes("--check")) check(settings);
else serve(settings);
