#!/usr/bin/env node
/**
 * registrator: the CLI entry. `registrator --help` documents every option; `registrator probe` is the
 * container healthcheck (GET /healthz of a running registrator).
 */
import { Command } from "commander";
import http from "node:http";
import { createLogger } from "../../lib/log";
import { configFromOptions, DEFAULT_LISTEN, describeCommand, type RawOptions } from "./config";
import { Registrator } from "./registrator";

const log = createLogger("registrator");

/**
 * docker-modem (under dockerode 4) attaches no 'error' listener to the response of a non-streaming call, so
 * when the Docker daemon dies in the middle of answering a list or inspect, Node raises the response's
 * "aborted" error as uncaught. The call itself is bounded by a deadline (DockerSource), so the reconcile that
 * made it fails and is retried. Only this error, from Node's HTTP client, is survived.
 */
function isAbortedDockerResponse(err: unknown): boolean {
  const e = err as NodeJS.ErrnoException;
  return e?.message === "aborted" && e?.code === "ECONNRESET" && /_http_client/.test(e?.stack ?? "");
}

// Never exit silently: whatever kills the process is logged first.
process.on("uncaughtException", (err) => {
  if (isAbortedDockerResponse(err)) {
    log.warn("a Docker API response was cut off (daemon stopping or restarting?); continuing");
    return;
  }
  log.fatal({ err: err.stack ?? String(err) }, "uncaught exception; exiting");
  process.exit(1);
});
process.on("unhandledRejection", (err) => {
  log.fatal({ err: (err as Error)?.stack ?? String(err) }, "unhandled rejection; exiting");
  process.exit(1);
});

const program = new Command("registrator").description("Registers labelled Docker containers in etcd under a lease (switchyard).");
const runCommand = describeCommand(program.command("run", { isDefault: true }));
// `registrator --help` shows the default command's options too: that is what operators look for.
program.addHelpText("after", () => `\nDefault command (registrator [options] = registrator run [options]):\n\n${runCommand.helpInformation()}`);
runCommand.action(async (opts: RawOptions) => {
  const cfg = configFromOptions(opts);
  if ("problems" in cfg) {
    for (const p of cfg.problems) log.fatal(p);
    process.stderr.write(`registrator: invalid configuration:\n  ${cfg.problems.join("\n  ")}\nSee: registrator --help\n`);
    process.exit(2);
  }
  const agent = new Registrator(cfg, log);
  const shutdown = (signal: string) => {
    log.info({ signal, ttlSeconds: cfg.ttlSeconds }, "stopping; keys expire with the lease unless a registrator with the same id takes them over");
    agent.stop().then(() => process.exit(0), (err) => {
      log.error({ err: String(err) }, "error while stopping");
      process.exit(1);
    });
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  await agent.start();
});

program
  .command("probe")
  .description("exit 0 if the registrator at --url answers /healthz with 200 (for container healthchecks)")
  .option("--url <url>", "health URL", `http://127.0.0.1:${DEFAULT_LISTEN.split(":")[1]}/healthz`)
  .action((opts: { url: string }) => {
    const req = http.get(opts.url, { timeout: 3000 }, (res) => {
      res.pipe(process.stdout);
      res.on("end", () => process.exit(res.statusCode === 200 ? 0 : 1));
    });
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", (err) => {
      process.stderr.write(`registrator probe: ${err.message}\n`);
      process.exit(1);
    });
  });

program.parseAsync(process.argv).catch((err) => {
  log.fatal({ err: (err as Error).stack ?? String(err) }, "registrator failed to start");
  process.exit(1);
});
