/**
 * The command line. Every option has an environment variable, so the container is configured like
 * docker-register was (HOST_IP, ETCD_HOST) and the same flags work when run by hand on a host.
 */
import { Command, Option } from "commander";
import fs from "node:fs";
import { connectionProblems, type EtcdConnection } from "../../lib/etcd/client";
import { DEFAULT_ROOT, nameProblem, normalizeRoot, parseAddr, rootProblem } from "../../lib/etcd/keys";
import { DEFAULT_LABEL_PREFIX } from "./labels";
import type { RegistratorConfig } from "./registrator";

export const DEFAULT_TTL_SECONDS = 15;
export const DEFAULT_RESYNC_SECONDS = 30;
export const DEFAULT_LISTEN = "0.0.0.0:9102";

export interface RawOptions {
  hostIp?: string;
  etcdEndpoints?: string;
  etcdHost?: string;
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  etcdUsername?: string;
  id?: string;
  root: string;
  ttl: string;
  resyncInterval: string;
  dockerHost: string;
  labelPrefix: string;
  listen: string;
}

export function describeCommand(program: Command): Command {
  return program
    .summary("run the registrator (the default command)")
    .description(
      "Registers every running Docker container that carries the label <prefix>.service=<name> in etcd, at " +
        "<root>/services/<name>/upstream/<endpoint> = {\"addr\":\"HOST_IP:<published port>\", ...}, under one lease " +
        "kept alive with the given TTL. Keys go at once when their container stops, and with the lease when the " +
        "registrator dies. Serves /healthz and Prometheus /metrics.",
    )
    .addOption(new Option("--host-ip <address>", "address other hosts reach this host's published ports at").env("HOST_IP"))
    .addOption(new Option("--etcd-endpoints <urls>", "comma-separated etcd client URLs (the etcd proxy)").env("ETCD_ENDPOINTS"))
    .addOption(new Option("--etcd-host <host:port>", "docker-register style etcd address (http), used when --etcd-endpoints is not set").env("ETCD_HOST"))
    .addOption(new Option("--etcd-ca-file <file>", "PEM CA of the etcd servers (https endpoints)").env("ETCD_CA_FILE"))
    .addOption(new Option("--etcd-cert-file <file>", "PEM client certificate for etcd").env("ETCD_CERT_FILE"))
    .addOption(new Option("--etcd-key-file <file>", "PEM client key for etcd").env("ETCD_KEY_FILE"))
    .addOption(new Option("--etcd-username <name>", "etcd user (password from ETCD_PASSWORD only)").env("ETCD_USERNAME"))
    .addOption(new Option("--id <id>", "this registrator's id: marks the keys it owns and prefixes endpoint names (default: the host IP)").env("REGISTRATOR_ID"))
    .addOption(new Option("--root <prefix>", "key root").env("SWITCHYARD_ROOT").default(DEFAULT_ROOT))
    .addOption(new Option("--ttl <seconds>", "lease TTL: how long keys outlive a dead registrator").env("REGISTRATOR_TTL").default(String(DEFAULT_TTL_SECONDS)))
    .addOption(new Option("--resync-interval <seconds>", "full resync period as a safety net (0 disables)").env("REGISTRATOR_RESYNC_INTERVAL").default(String(DEFAULT_RESYNC_SECONDS)))
    .addOption(new Option("--docker-host <url>", "Docker API: unix:///path or tcp://host:port").env("DOCKER_HOST").default("unix:///var/run/docker.sock"))
    .addOption(new Option("--label-prefix <prefix>", "label prefix (<prefix>.service, .port, .endpoint, .version, .weight, .health-path)").env("REGISTRATOR_LABEL_PREFIX").default(DEFAULT_LABEL_PREFIX))
    .addOption(new Option("--listen <host:port>", "address of /healthz and /metrics ('off' disables)").env("REGISTRATOR_LISTEN").default(DEFAULT_LISTEN));
}

/** Turns parsed options into a config, or a list of problems naming the option to fix. */
export function configFromOptions(o: RawOptions, env: NodeJS.ProcessEnv = process.env, readFile: (f: string) => string = (f) => fs.readFileSync(f, "utf8")): RegistratorConfig | { problems: string[] } {
  const problems: string[] = [];
  const hostIp = o.hostIp?.trim();
  if (!hostIp) problems.push("--host-ip / HOST_IP is required: the address other hosts reach this host's published ports at");
  else if ("problem" in parseAddr(hostIp.includes(":") ? `[${hostIp}]:1` : `${hostIp}:1`)) problems.push(`--host-ip '${hostIp}' is not an IP address or host name`);

  const endpoints = o.etcdEndpoints
    ? o.etcdEndpoints.split(",").map((e) => e.trim()).filter(Boolean)
    : o.etcdHost
      ? [o.etcdHost.includes("://") ? o.etcdHost : `http://${o.etcdHost}`]
      : [];
  const etcd: EtcdConnection = { endpoints };
  try {
    if (o.etcdCaFile) etcd.tls = { ca: readFile(o.etcdCaFile), ...(o.etcdCertFile ? { cert: readFile(o.etcdCertFile) } : {}), ...(o.etcdKeyFile ? { key: readFile(o.etcdKeyFile) } : {}) };
  } catch (e) {
    problems.push(`etcd TLS files: ${(e as Error).message}`);
  }
  if (o.etcdUsername) etcd.auth = { username: o.etcdUsername, password: env.ETCD_PASSWORD ?? "" };
  if (!endpoints.length) problems.push("--etcd-endpoints / ETCD_ENDPOINTS (or ETCD_HOST) is required, e.g. http://127.0.0.1:2379");
  else problems.push(...connectionProblems(etcd).map((p) => `etcd ${p}`));

  const rp = rootProblem(o.root);
  if (rp) problems.push(`--root ${rp}`);
  const registratorId = o.id?.trim() || hostIp || "";
  const idProblem = hostIp ? nameProblem("registrator id (--id)", registratorId) : undefined;
  if (idProblem) problems.push(idProblem);

  const ttl = Number(o.ttl);
  if (!Number.isInteger(ttl) || ttl < 2 || ttl > 3600) problems.push(`--ttl must be a whole number of seconds from 2 to 3600, got '${o.ttl}'`);
  const resync = Number(o.resyncInterval);
  if (!Number.isFinite(resync) || resync < 0) problems.push(`--resync-interval must be 0 or a positive number of seconds, got '${o.resyncInterval}'`);
  if (!/^[a-z0-9][a-z0-9.-]*$/i.test(o.labelPrefix)) problems.push(`--label-prefix '${o.labelPrefix}' must be letters, digits, '.' or '-'`);

  let listen: RegistratorConfig["listen"];
  if (o.listen !== "off") {
    const m = /^(.*):(\d+)$/.exec(o.listen);
    if (!m || Number(m[2]) > 65535) problems.push(`--listen must be host:port or 'off', got '${o.listen}'`);
    else listen = { host: m[1].replace(/^\[|\]$/g, "") || "0.0.0.0", port: Number(m[2]) };
  }
  if (problems.length) return { problems };
  return {
    etcd,
    root: normalizeRoot(o.root),
    registratorId,
    hostIp: hostIp!,
    ttlSeconds: ttl,
    resyncIntervalSeconds: resync,
    dockerUrl: o.dockerHost,
    labelPrefix: o.labelPrefix,
    ...(listen ? { listen } : {}),
  };
}
