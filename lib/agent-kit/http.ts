/**
 * The /healthz + /metrics HTTP server both agents serve (lib/agent-kit), and the health report type.
 * /healthz answers 200 when the report says ok, 503 otherwise, with the report as JSON (what the container
 * healthchecks and operators read); /metrics is the agent's own prom-client registry.
 */
import http from "node:http";
import type { Registry } from "prom-client";

export interface HealthReport {
  ok: boolean;
  [detail: string]: unknown;
}

export interface AgentServerOptions {
  /** Agent name, in the 404 hint. */
  name: string;
  host: string;
  port: number;
  registry: Registry;
  health: () => HealthReport;
}

export function startAgentServer(o: AgentServerOptions): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = (req.url ?? "/").split("?")[0];
    if (url === "/healthz") {
      const h = o.health();
      res.writeHead(h.ok ? 200 : 503, { "Content-Type": "application/json" }).end(JSON.stringify(h) + "\n");
    } else if (url === "/metrics") {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { "Content-Type": o.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500).end(err.message),
      );
    } else {
      res.writeHead(404, { "Content-Type": "text/plain" }).end(`${o.name}: GET /healthz or /metrics\n`);
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(o.port, o.host, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}
