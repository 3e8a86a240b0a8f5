/**
 * The command line: commander definitions and the pure translation of parsed flags into validated settings.
 * Every flag also reads an environment variable (SWITCHYARD_GATEWAY_<FLAG>) so the container can be
 * configured either way.
 */
import os from "node:os";
import path from "node:path";
import { Command, Option } from "commander";
import { DEFAULT_ROOT, nameProblem, normalizeRoot, rootProblem } from "../../lib/etcd/keys";
import { connectionProblems, type EtcdConnection } from "../../lib/etcd/client";
import type { AgentOptions } from "./agent";
import type { ProxyKind, RenderSettings } from "./render";

export interface GatewaySettings {
  kind: ProxyKind;
  agent: AgentOptions;
  render: RenderSettings;
  etcd: EtcdConnection;
  templateFile?: string;
  metricsAddress: string;
  metricsPort: number;
  exitWithParent: boolean;
  nginxBinary: string;
  haproxyBinary: string;
}

const env = (flag: string) => `SWITCHYARD_GATEWAY_${flag.toUpperCase().replace(/-/g, "_")}`;
const opt = (flags: string, description: string, def?: string) => {
  const long = /--([a-z-]+)/.exec(flags)![1];
  const o = new Option(flags, description).env(env(long));
  return def !== undefined ? o.default(def) : o;
};

export function buildCommand(): Command {
  return new Command("switchyard-gateway")
    .description(
      "Watches <root>/services/ in etcd and runs nginx or haproxy with a config rendered from it. Membership " +
        "changes are applied without a reload (nginx: Lua balancer + shared dict; haproxy: runtime API); " +
        "routing changes are rendered, validated and reloaded gracefully. Status goes to <root>/gateways/<id>.",
    )
    .addOption(opt("--kind <kind>", "proxy to run: nginx | haproxy").choices(["nginx", "haproxy"]).makeOptionMandatory())
    .addOption(opt("--etcd <urls>", "comma-separated etcd client URLs (the etcd proxy)", "http://127.0.0.1:2379"))
    .addOption(opt("--etcd-ca <file>", "PEM CA for https etcd URLs"))
    .addOption(opt("--etcd-cert <file>", "PEM client certificate"))
    .addOption(opt("--etcd-key <file>", "PEM client key"))
    .addOption(opt("--etcd-user <user:password>", "etcd username:password"))
    .addOption(opt("--root <prefix>", "key root", DEFAULT_ROOT))
    .addOption(opt("--id <id>", "gateway id used in the status key", os.hostname()))
    .addOption(opt("--work-dir <dir>", "where configs, sockets, pid and log files go (non-root friendly)", "/var/lib/switchyard-gateway"))
    .addOption(opt("--listen <addr:port>", "where the proxy accepts client traffic", "0.0.0.0:8000"))
    .addOption(opt("--stats <addr:port>", "haproxy stats page", "0.0.0.0:1936"))
    .addOption(opt("--metrics <addr:port>", "agent /healthz and /metrics", "0.0.0.0:9100"))
    .addOption(opt("--template <file>", "user handlebars template replacing the built-in one (re-read at every render)"))
    .addOption(opt("--quiet-ms <ms>", "debounce: apply after this long without further changes", "20"))
    .addOption(opt("--max-wait-ms <ms>", "debounce: apply at the latest this long after the first change of a burst", "200"))
    .addOption(opt("--drain-ms <ms>", "keep a removed endpoint listed (taking no new requests) this long before reporting it unrouted", "1000"))
    .addOption(opt("--resync-ms <ms>", "full re-list interval, a safety net behind the watch", "30000"))
    .addOption(opt("--status-ttl <s>", "TTL of the status key's lease", "10"))
    .addOption(opt("--health-interval-ms <ms>", "active health check interval", "1000"))
    .addOption(opt("--health-timeout-ms <ms>", "active health check timeout (a refused connection fails at once; this only bounds slow answers)", "2000"))
    .addOption(opt("--health-rise <n>", "consecutive successes to return to rotation", "1"))
    .addOption(opt("--health-fall <n>", "consecutive failures to leave rotation", "2"))
    .addOption(opt("--health-path <path>", "health path when neither the upstream value nor the route names one", "/"))
    .addOption(opt("--nginx <binary>", "nginx binary", "nginx"))
    .addOption(opt("--nginx-modules <dir>", "directory holding ndk_http_module.so and ngx_http_lua_module.so", "/usr/lib/nginx/modules"))
    .addOption(opt("--haproxy <binary>", "haproxy binary", "haproxy"))
    .addOption(opt("--workers <n>", "nginx worker_processes", "auto"))
    .addOption(opt("--exit-with-parent", "stop (proxy included) when the process that started the agent dies; for tests and benchmarks"))
    .addOption(opt("--reload-per-change", "baseline for benchmarks: apply membership changes with a full render + reload, as confd did"))
    .addOption(opt("--user <user>", "user the proxy's workers run as when started as root (nginx `user`, haproxy `user`/`group`; workers need the work dir)", "root"));
}

function hostPort(flag: string, v: string): { host: string; port: number } {
  const m = /^(.*):(\d+)$/.exec(v);
  const port = Number(m?.[2]);
  if (!m || !m[1] || port < 1 || port > 65535) throw new Error(`--${flag}: '${v}' is not address:port`);
  return { host: m[1], port };
}

function int(flag: string, v: string, min: number): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${flag}: '${v}' must be an integer >= ${min}`);
  return n;
}

/** Pure: parsed flag values (strings) → settings; throws an Error naming the flag on bad input. */
export function settingsFromFlags(f: Record<string, string | undefined>, readFile: (p: string) => string, isRoot: boolean): GatewaySettings {
  const root = f.root ?? DEFAULT_ROOT;
  const rp = rootProblem(root);
  if (rp) throw new Error(`--root ${rp}`);
  const id = f.id ?? "";
  const idp = nameProblem("gateway", id);
  if (idp) throw new Error(`--id: ${idp}`);
  const kind = f.kind as ProxyKind;
  if (kind !== "nginx" && kind !== "haproxy") throw new Error("--kind must be nginx or haproxy");
  const etcd: EtcdConnection = { endpoints: (f.etcd ?? "").split(",").map((s) => s.trim()).filter(Boolean) };
  if (f.etcdCa) etcd.tls = { ca: readFile(f.etcdCa), ...(f.etcdCert ? { cert: readFile(f.etcdCert) } : {}), ...(f.etcdKey ? { key: readFile(f.etcdKey) } : {}) };
  if (f.etcdUser) {
    const i = f.etcdUser.indexOf(":");
    etcd.auth = { username: f.etcdUser.slice(0, i), password: f.etcdUser.slice(i + 1) };
  }
  const problems = connectionProblems(etcd);
  if (problems.length) throw new Error(`--etcd: ${problems.join("; ")}`);
  const listen = hostPort("listen", f.listen ?? "");
  const stats = hostPort("stats", f.stats ?? "");
  const metrics = hostPort("metrics", f.metrics ?? "");
  const quietMs = int("quiet-ms", f.quietMs ?? "", 0);
  const maxWaitMs = int("max-wait-ms", f.maxWaitMs ?? "", 0);
  if (maxWaitMs < quietMs) throw new Error("--max-wait-ms must be >= --quiet-ms");
  const healthPath = f.healthPath ?? "/";
  if (!healthPath.startsWith("/")) throw new Error("--health-path must start with /");
  const workers = f.workers ?? "auto";
  if (workers !== "auto") int("workers", workers, 1);
  return {
    kind,
    etcd,
    templateFile: f.template ? path.resolve(f.template) : undefined,
    metricsAddress: metrics.host,
    metricsPort: metrics.port,
    exitWithParent: Boolean(f.exitWithParent),
    nginxBinary: f.nginx ?? "nginx",
    haproxyBinary: f.haproxy ?? "haproxy",
    agent: {
      id,
      root: normalizeRoot(root),
      quietMs,
      maxWaitMs,
      drainMs: int("drain-ms", f.drainMs ?? "", 0),
      resyncMs: int("resync-ms", f.resyncMs ?? "", 1000),
      statusTtlSeconds: int("status-ttl", f.statusTtl ?? "", 2),
      healthIntervalMs: int("health-interval-ms", f.healthIntervalMs ?? "", 50),
      healthTimeoutMs: int("health-timeout-ms", f.healthTimeoutMs ?? "", 50),
      healthRise: int("health-rise", f.healthRise ?? "", 1),
      healthFall: int("health-fall", f.healthFall ?? "", 1),
      defaultHealthPath: healthPath,
      reloadPerChange: Boolean(f.reloadPerChange),
    },
    render: {
      workDir: path.resolve(f.workDir ?? "."),
      listenAddress: listen.host,
      listenPort: listen.port,
      statsAddress: stats.host,
      statsPort: stats.port,
      modulesDir: f.nginxModules ?? "/usr/lib/nginx/modules",
      workerProcesses: workers,
      ...(isRoot && f.user ? { user: f.user } : {}),
    },
  };
}
