#!/usr/bin/env node
/**
 * switchyard-gateway: entry point. Wires the edges (etcd, proxy process, HTTP server, signals) to the agent.
 *   tsx agents/gateway/main.ts --kind nginx --etcd http://127.0.0.1:2379 --work-dir /tmp/gw --listen 127.0.0.1:8000
 */
import fs from "node:fs";
import { connectEtcd } from "../../lib/etcd/client";
import { createLogger } from "../../lib/log";
import { startAgentServer } from "../../lib/agent-kit/http";
import { servicesPrefix } from "../../lib/etcd/keys";
import { GatewayAgent } from "./agent";
import { HaproxyDriver } from "./drivers/haproxy";
import { NginxDriver } from "./drivers/nginx";
import type { ProxyDriver } from "./drivers/types";
import { EtcdServicesStore } from "./etcd-source";
import { createMetrics } from "./metrics";
import { StatusPublisher } from "./status-publisher";
import { buildCommand, settingsFromFlags, type GatewaySettings } from "./options";

async function main(): Promise<void> {
  // Usage errors exit 2 (the container's entrypoint does not retry those); --help exits 0.
  const command = buildCommand().exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));
  command.parse(process.argv);
  const log = createLogger("gateway");
  let settings: GatewaySettings;
  try {
    settings = settingsFromFlags(command.opts(), (p) => fs.readFileSync(p, "utf8"), process.getuid?.() === 0);
  } catch (e) {
    // Exit code 2: a usage error, which the container's entrypoint does not retry.
    return command.error(`error: ${(e as Error).message}`, { exitCode: 2 });
  }
  fs.mkdirSync(settings.render.workDir, { recursive: true });
  const metrics = createMetrics();
  const etcd = connectEtcd(settings.etcd);
  const driver: ProxyDriver =
    settings.kind === "nginx"
      ? new NginxDriver({ settings: settings.render, templateFile: settings.templateFile, nginxBinary: settings.nginxBinary, log, metrics })
      : new HaproxyDriver({ settings: settings.render, templateFile: settings.templateFile, haproxyBinary: settings.haproxyBinary, log, metrics });
  const a = settings.agent;
  const agent = new GatewayAgent(a, {
    store: new EtcdServicesStore(etcd, servicesPrefix(a.root), log),
    status: new StatusPublisher(etcd, settings.etcd, a.root, a.statusTtlSeconds, log, metrics),
    driver,
    metrics,
    log,
  });
  const server = await startAgentServer({ name: "gateway", host: settings.metricsAddress, port: settings.metricsPort, registry: metrics.registry, health: () => agent.healthReport() });
  log.info({ kind: settings.kind, id: settings.agent.id, root: settings.agent.root, workDir: settings.render.workDir, listen: `${settings.render.listenAddress}:${settings.render.listenPort}` }, "gateway agent starting");
  agent.start();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "stopping: status key revoked, proxy stopped gracefully");
    server.close();
    await agent.stop();
    etcd.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  if (settings.exitWithParent) {
    // A test runner killed hard (SIGKILL) cannot stop us; noticing that our parent is gone can.
    const parent = process.ppid;
    setInterval(() => {
      if (process.ppid !== parent) void shutdown("parent exited");
    }, 500).unref();
  }
}

main().catch((e) => {
  process.stderr.write(`switchyard-gateway: ${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
