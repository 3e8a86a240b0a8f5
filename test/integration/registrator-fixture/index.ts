/**
 * Fixtures for the registrator's integration tests and benchmark:
 * - a PRIVATE dockerd (own socket, data root, exec root and pid file under a temp dir; a default bridge of its own (never the host's docker0); no
 *   iptables) so the tests can kill and restart "the Docker daemon" without touching the shared one other
 *   people use. Its containerd runs as a separate process, as Debian's containerd.service does: a dockerd
 *   crash then leaves containerd (and the containers) running, and the restarted dockerd reconnects.
 *   Published ports work through docker-proxy on 127.0.0.1 and a user-defined bridge network
 *   on a 10.213.x.0/24 subnet that no route on this machine uses yet.
 * - a tiny HTTP backend image built from the debian:bookworm-slim base (loaded from the shared daemon, so
 *   nothing is downloaded) and a Perl script;
 * - the registrator itself, bundled with esbuild exactly as the image bundles it, run as a host process.
 */
import { execFile, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { bundleRegistrator } from "../../../agents/registrator/bundle";
import { connectEtcd, type EtcdConnection } from "../../../lib/etcd/client";
import { freePorts, waitFor } from "../../helpers/ports";
import { startProcess, tail, type Proc } from "../../helpers/processes";

const run = promisify(execFile);
export const BASE_IMAGE = "debian:bookworm-slim";
export const HTTP_IMAGE = "sy-test-registrator-http:1";
export const NETWORK = "sy-test-registrator";
const PROJECT_ROOT = path.resolve(__dirname, "../../..");

export interface PrivateDockerd {
  dir: string;
  /** unix:///…/docker.sock, for DOCKER_HOST / --docker-host. */
  url: string;
  /** `docker -H <url> <args…>`; resolves stdout trimmed, rejects with stderr. */
  docker(...args: string[]): Promise<string>;
  /**
   * Stops the daemon and starts it again. SIGTERM stops its containers first (`systemctl restart docker`);
   * SIGKILL leaves them running until the new daemon cleans them up (a crash).
   */
  restart(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Stops the daemon (SIGTERM) and leaves it stopped until `up()`. */
  down(): Promise<void>;
  up(): Promise<void>;
  logs(): string;
  stop(): Promise<void>;
}

function containerdConfig(dir: string): string {
  return [
    "version = 2",
    `root = "${dir}/containerd/root"`,
    `state = "${dir}/containerd/state"`,
    'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
    "[grpc]",
    `  address = "${dir}/containerd.sock"`,
    "[debug]",
    `  address = "${dir}/containerd-debug.sock"`,
    "",
  ].join("\n");
}

function dockerdArgs(dir: string, bridge: string): string[] {
  return [
    "--containerd", `${dir}/containerd.sock`,
    "--host", `unix://${dir}/docker.sock`,
    "--data-root", `${dir}/data`,
    "--exec-root", `${dir}/exec`,
    "--pidfile", `${dir}/dockerd.pid`,
    // A bridge of its own. With --bridge=none, dockerd deletes the host's docker0 at start-up, which breaks
    // the shared daemon's default network (and every image build on it) for everyone else on the machine.
    `--bridge=${bridge}`,
    "--iptables=false",
    "--ip6tables=false",
    "--ip-masq=false",
    "--log-level=warn",
  ];
}

async function freeSubnet(): Promise<string> {
  const { stdout } = await run("ip", ["-4", "route"]);
  for (let i = 0; i < 64; i++) {
    const n = Math.floor(Math.random() * 250) + 2;
    if (!stdout.includes(`10.213.${n}.`)) return `10.213.${n}.0/24`;
  }
  throw new Error("no free 10.213.x.0/24 subnet for the private dockerd's network");
}

export async function startPrivateDockerd(): Promise<PrivateDockerd> {
  // Short path: unix socket paths are limited to 108 bytes.
  const dir = fs.mkdtempSync("/tmp/sy-rd-");
  const bridge = bridgeOf(dir);
  await sweepStaleDaemons();
  const url = `unix://${dir}/docker.sock`;
  let proc: Proc | undefined;
  let containerd: Proc | undefined;
  const docker = async (...args: string[]) => {
    const { stdout } = await run("docker", ["-H", url, ...args], { maxBuffer: 16 << 20 });
    return stdout.trim();
  };
  const logs = () => tail(path.join(dir, "dockerd.log"), 30);
  const start = async () => {
    if (!containerd) {
      fs.writeFileSync(path.join(dir, "containerd.toml"), containerdConfig(dir));
      containerd = startProcess("containerd", ["--config", path.join(dir, "containerd.toml")], path.join(dir, "containerd.log"));
      await waitFor("the private containerd's socket", async () => fs.existsSync(path.join(dir, "containerd.sock")), 30_000, 50);
    }
    // A crashed daemon leaves its pid file, and dockerd refuses to start over one.
    fs.rmSync(path.join(dir, "dockerd.pid"), { force: true });
    proc = startProcess("dockerd", dockerdArgs(dir, bridge), path.join(dir, "dockerd.log"));
    try {
      await waitFor("the private dockerd to answer", async () => (await docker("version", "--format", "{{.Server.Version}}")) !== "", 60_000, 200);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${logs()}`);
    }
  };
  const stopDaemon = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    if (!proc) return;
    const p = proc;
    proc = undefined;
    p.child.kill(signal);
    const exited = await Promise.race([p.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 30_000))]);
    if (!exited) await p.kill("SIGKILL");
  };
  const stop = async () => {
    try {
      const ids = await docker("ps", "-aq").catch(() => "");
      if (ids) await docker("rm", "-f", ...ids.split(/\s+/)).catch(() => undefined);
      await docker("network", "rm", NETWORK).catch(() => undefined);
    } finally {
      await stopDaemon();
      await containerd?.kill("SIGTERM");
      containerd = undefined;
      killLeftovers(dir);
      const mounts = fs.readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1]).filter((m) => m?.startsWith(dir + "/"));
      for (const m of mounts.sort().reverse()) await run("umount", ["-l", m]).catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
      await run("ip", ["link", "del", bridge]).catch(() => undefined);
    }
  };

  try {
    // Inside the try: a failure half-way (the address, the link up) still removes the bridge in stop().
    const bridgeSubnet = await freeSubnet();
    await run("ip", ["link", "add", bridge, "type", "bridge"]);
    await run("ip", ["addr", "add", bridgeSubnet.replace(/\.0\/24$/, ".1/24"), "dev", bridge]);
    await run("ip", ["link", "set", bridge, "up"]);
    await start();
    // The base image comes from the shared daemon: no registry is reachable here.
    await new Promise<void>((resolve, reject) => {
      const sh = spawn("bash", ["-o", "pipefail", "-c", `docker save ${BASE_IMAGE} | docker -H ${url} load -q`], { stdio: ["ignore", "ignore", "pipe"] });
      let err = "";
      sh.stderr.on("data", (d) => (err += d));
      sh.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`loading ${BASE_IMAGE} into the private dockerd failed: ${err}`))));
    });
    await docker("build", "-q", "-t", HTTP_IMAGE, path.join(__dirname));
    await docker("network", "create", "--subnet", await freeSubnet(), NETWORK);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    dir,
    url,
    docker,
    async restart(signal = "SIGTERM") {
      await stopDaemon(signal);
      await start();
    },
    down: () => stopDaemon("SIGTERM"),
    up: () => start(),
    logs,
    stop,
  };
}

/** The bridge of the private daemon whose directory is `dir`. */
const bridgeOf = (dir: string) => `syrd${path.basename(dir).slice(-6).replace(/[^A-Za-z0-9]/g, "")}`.slice(0, 15);

/**
 * Removes what an earlier run killed before its `stop()` left behind: private daemon directories that no live
 * process names (older than ten minutes, so a daemon another run is just starting is never touched), their
 * mounts and bridges, and bridges whose directory is gone.
 */
async function sweepStaleDaemons(): Promise<void> {
  const cmdlines: string[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      cmdlines.push(fs.readFileSync(`/proc/${entry}/cmdline`, "utf8"));
    } catch {
      /* gone */
    }
  }
  const dirs = fs.readdirSync("/tmp").filter((d) => d.startsWith("sy-rd-")).map((d) => path.join("/tmp", d));
  for (const dir of dirs) {
    let ageMs = 0;
    try {
      ageMs = Date.now() - fs.statSync(dir).mtimeMs;
    } catch {
      continue;
    }
    if (ageMs < 10 * 60_000 || cmdlines.some((c) => c.includes(dir))) continue;
    const mounts = fs.readFileSync("/proc/mounts", "utf8").split("\n").map((l) => l.split(" ")[1]).filter((m) => m?.startsWith(dir + "/"));
    for (const m of mounts.sort().reverse()) await run("umount", ["-l", m]).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
    await run("ip", ["link", "del", bridgeOf(dir)]).catch(() => undefined);
  }
  const live = new Set(fs.readdirSync("/tmp").filter((d) => d.startsWith("sy-rd-")).map((d) => bridgeOf(path.join("/tmp", d))));
  const { stdout } = await run("ip", ["-o", "link", "show", "type", "bridge"]).catch(() => ({ stdout: "" }));
  for (const name of stdout.split("\n").map((l) => l.split(":")[1]?.trim().split("@")[0]).filter((n): n is string => Boolean(n?.startsWith("syrd")))) {
    if (!live.has(name)) await run("ip", ["link", "del", name]).catch(() => undefined);
  }
}

/**
 * Kills what a failed test may leave behind under this private daemon's directory (container shims and the
 * processes they run), by pid, children first. Only processes whose command line names `dir` are touched.
 */
function killLeftovers(dir: string): void {
  const pids: number[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(dir)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  for (const pid of pids) {
    let children: string[] = [];
    try {
      children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean);
    } catch {
      /* exited */
    }
    for (const child of children.map(Number)) {
      try {
        process.kill(child, "SIGKILL");
      } catch {
        /* gone */
      }
    }
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

export interface BackendOptions {
  labels?: Record<string, string>;
  /** Extra `docker run` flags (health checks, restart policy). */
  flags?: string[];
  env?: Record<string, string>;
}

/** Starts a backend on the private network publishing 8080 on an ephemeral 127.0.0.1 port; returns its id. */
export async function runBackend(d: PrivateDockerd, name: string, o: BackendOptions = {}): Promise<string> {
  const args = ["run", "-d", "--name", name, "--network", NETWORK, "-p", "127.0.0.1::8080"];
  for (const [k, v] of Object.entries(o.labels ?? {})) args.push("--label", `${k}=${v}`);
  for (const [k, v] of Object.entries(o.env ?? {})) args.push("-e", `${k}=${v}`);
  args.push(...(o.flags ?? []), HTTP_IMAGE);
  return d.docker(...args);
}

export async function publishedPort(d: PrivateDockerd, name: string): Promise<number> {
  const out = await d.docker("port", name, "8080/tcp");
  return Number(out.split("\n")[0].split(":").pop());
}

/** Bundles the registrator once per test process, as components/image.ts does for the image. */
let bundled: string | undefined;
export function registratorBundle(): string {
  if (bundled) return bundled;
  bundled = bundleRegistrator(PROJECT_ROOT, fs.mkdtempSync(path.join(os.tmpdir(), "sy-registrator-bundle-")));
  return bundled;
}

export interface RegistratorProc {
  proc: Proc;
  healthUrl: string;
  metricsUrl: string;
  logs(): string;
}

export interface RegistratorOptions {
  dockerd: PrivateDockerd;
  etcd: EtcdConnection;
  id?: string;
  ttl?: number;
  resyncInterval?: number;
  root?: string;
  logDir: string;
  extraArgs?: string[];
  /** Wait for /healthz 200 before returning (default true). */
  waitHealthy?: boolean;
}

export async function startRegistrator(o: RegistratorOptions): Promise<RegistratorProc> {
  const [port] = await freePorts(1);
  const logFile = path.join(o.logDir, `registrator-${Date.now()}.log`);
  const args = [
    registratorBundle(),
    "--host-ip", "127.0.0.1",
    "--id", o.id ?? "test-host",
    "--etcd-endpoints", o.etcd.endpoints.join(","),
    "--docker-host", o.dockerd.url,
    "--ttl", String(o.ttl ?? 3),
    "--resync-interval", String(o.resyncInterval ?? 0),
    "--root", o.root ?? "/switchyard",
    "--listen", `127.0.0.1:${port}`,
    ...(o.extraArgs ?? []),
  ];
  const proc = startProcess(process.execPath, args, logFile, { LOG_LEVEL: "debug" });
  const healthUrl = `http://127.0.0.1:${port}/healthz`;
  try {
    if (o.waitHealthy !== false) await waitFor("the registrator to report healthy", async () => (await fetch(healthUrl)).status === 200, 30_000, 100);
  } catch (e) {
    // Never leave a registrator running behind a failed start: the caller has no handle on it yet.
    await proc.kill("SIGKILL");
    throw new Error(`${(e as Error).message}\n${tail(logFile, 40)}`);
  }
  return { proc, healthUrl, metricsUrl: `http://127.0.0.1:${port}/metrics`, logs: () => tail(logFile, Number(process.env.SY_LOG_LINES ?? 60)) };
}

/** Reads the upstream keys of a service (prefix) as key → value. */
export async function upstreams(etcd: EtcdConnection, prefix: string): Promise<Record<string, string>> {
  const client = connectEtcd(etcd);
  try {
    return await client.getAll().prefix(prefix).strings();
  } finally {
    client.close();
  }
}
