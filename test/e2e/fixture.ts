/**
 * The user's journey on a real Docker engine: the real program (index.ts) deployed by the harness, with a
 * stack of its own (name, ports) so it never collides with a developer's dev stack. etcd runs from the
 * locally built test image, since the official one cannot be pulled here.
 */
import Docker from "dockerode";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectEtcd, type EtcdTls } from "../../lib/etcd/client";
import { destroy, up, type Step } from "../harness";
import { loadState } from "../harness/state";

export const ROOT = path.resolve(__dirname, "../..");
export const ETCD_TEST_IMAGE = "switchyard-test/etcd:3.4-bookworm";

/**
 * What the end-to-end tests run on today, said in their names so that a green run is not read as more than it
 * is. Update these (and nothing else) once the real Pulumi engine deploys them and an etcd 3.5 image is built.
 */
export const E2E_DEPLOYED_BY = "the test harness, not the real Pulumi engine";
export const E2E_ETCD = "etcd 3.4 from Debian, not the default 3.5.17";
/** A describe name with what it runs on: "the journey with the nginx gateway [test harness; etcd 3.4 ...]". */
export const e2eName = (what: string) => `${what} [deployed by ${E2E_DEPLOYED_BY}; ${E2E_ETCD}]`;
/** For checks of the order of an update's steps: whose order it is. */
export const STEP_ORDER_OF = "as the test harness orders the steps";
export const docker = new Docker();

export interface E2EStack {
  kind: "nginx" | "haproxy";
  stack: string;
  prefix: string;
  gatewayUrl: string;
  etcdEndpoint: string;
  log: Step[][];
  /** With etcd.tls: the TLS material of an identity (etcd user = certificate CN) from the harness state. */
  tls?: { identity(cn: string): EtcdTls; privateKeys(): string[] };
  /** The stack outputs as the last run left them in the harness state. */
  outputs(): Record<string, unknown>;
  up(config?: Record<string, string>): Promise<{ outputs: Record<string, unknown>; steps: Step[] }>;
  destroy(): Promise<Step[]>;
  /** A client of the stack's etcd as the operator (root identity with etcd.tls). */
  etcd(): ReturnType<typeof connectEtcd>;
  containers(): Promise<Docker.ContainerInfo[]>;
  cleanup(): Promise<void>;
}

/**
 * SWITCHYARD_TEST_NS (a small number, 1–9) lets several developers or helpers run the end-to-end tests on one
 * Docker engine at once: it suffixes every stack name (so containers, networks and volumes differ) and shifts
 * every published port by 100 × NS: the base ports of the stacks are 10 to 1,000 apart and a stack binds five, so
 * 100 × NS (at most 900) keeps every NS clear of every other stack's ports (1,000 × NS landed NS=1 nginx on NS=0 haproxy).
 */
export const TEST_NS = process.env.SWITCHYARD_TEST_NS ?? "";
if (TEST_NS && !/^[1-9]$/.test(TEST_NS)) throw new Error(`SWITCHYARD_TEST_NS must be a digit 1-9, got '${TEST_NS}'`);
export const nsPort = (port: number) => port + 100 * Number(TEST_NS || 0);
export const nsName = (name: string) => (TEST_NS ? `${name}-ns${TEST_NS}` : name);

/** The etcd keys and certificates as the harness realized them (its state holds secrets in clear, see its README). */
export function harnessTls(stateFile: string): NonNullable<E2EStack["tls"]> {
  const outputOf = (name: string, field: string) => {
    const r = loadState(stateFile).resources.find((x) => x.name === name);
    if (!r) throw new Error(`no ${name} in the harness state`);
    return String(r.outputs[field]);
  };
  return {
    identity: (cn: string): EtcdTls => ({ ca: outputOf("etcd-pki-ca", "certPem"), cert: outputOf(`etcd-pki-client-${cn}-cert`, "certPem"), key: outputOf(`etcd-pki-client-${cn}-key`, "privateKeyPem") }),
    privateKeys: () => loadState(stateFile).resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((r) => String(r.outputs.privateKeyPem)),
  };
}

export function e2eStack(kind: "nginx" | "haproxy", basePortBeforeNs: number, opts: { tls?: boolean; name?: string } = {}): E2EStack {
  // `name`: a stack of its own for a test file that must not share the journey's (e.g. "e2e-changes-nginx").
  const stack = nsName(opts.name ?? (opts.tls ? `e2e-tls-${kind}` : `e2e-${kind}`));
  const basePort = nsPort(basePortBeforeNs);
  const prefix = `switchyard-${stack}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-${stack}-`));
  const ports = {
    "etcd.proxyPort": basePort, "gateway.port": basePort + 1, "gateway.statsPort": basePort + 2,
    "gateway.metricsPort": basePort + 3, "registrator.metricsPort": basePort + 4,
  };
  const baseConfig: Record<string, string> = {
    "etcd.image": ETCD_TEST_IMAGE,
    "gateway.kind": kind,
    "switch.gateTimeoutSeconds": "60",
    "registrator.ttlSeconds": "5",
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    ...(opts.tls ? { "etcd.tls": "true" } : {}),
  };
  const stateFile = path.join(dir, "state.json");
  const harnessOpts = { stateFile, stack };
  const log: Step[][] = [];
  const etcdEndpoint = `${opts.tls ? "https" : "http"}://127.0.0.1:${ports["etcd.proxyPort"]}`;
  const tls = opts.tls ? harnessTls(stateFile) : undefined;
  const self: E2EStack = {
    kind,
    stack,
    prefix,
    gatewayUrl: `http://127.0.0.1:${ports["gateway.port"]}`,
    etcdEndpoint,
    log,
    ...(tls ? { tls } : {}),
    outputs: () => loadState(stateFile).outputs,
    async up(config = {}) {
      const r = await up(path.join(ROOT, "index.ts"), { ...harnessOpts, config: { ...baseConfig, ...config } });
      log.push(r.steps);
      return r;
    },
    async destroy() {
      const r = await destroy(harnessOpts);
      log.push(r.steps);
      return r.steps;
    },
    etcd: () => connectEtcd({ endpoints: [etcdEndpoint], callTimeoutMs: 3000, ...(tls ? { tls: tls.identity("root") } : {}) }),
    containers: () => docker.listContainers({ all: true, filters: { label: [`switchyard.stack=${prefix}`] } }),
    async cleanup() {
      // Whatever a failed run left behind: containers, the network, volumes of this stack.
      for (const c of await self.containers()) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
      for (const n of (await docker.listNetworks({ filters: { name: [prefix] } })).filter((x) => x.Name === prefix)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
      const vols = (await docker.listVolumes({ filters: { label: [`switchyard.stack=${prefix}`] } })).Volumes ?? [];
      for (const v of vols) await docker.getVolume(v.Name).remove().catch(() => undefined);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** What to read when a journey step fails: the gateway's restart count and the tail of its log. */
export async function gatewayDiagnostics(s: Pick<E2EStack, "prefix" | "kind">): Promise<string> {
  const name = `${s.prefix}-gateway-${s.kind}`;
  try {
    const c = docker.getContainer(name);
    const info = await c.inspect();
    const logs = (await c.logs({ stdout: true, stderr: true, tail: 40 })).toString("utf8").replace(/[\x00-\x08]/g, "");
    return `${name}: restarts=${info.RestartCount} status=${info.State.Status}\n${logs}`;
  } catch (e) {
    return `${name}: ${(e as Error).message}`;
  }
}

/** One GET; the demo backend answers "<version> <container>". */
export async function get(url: string, headers?: Record<string, string>): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: (await res.text()).trim() };
}

/** When the step `op` on the resource named exactly `name` started or finished (epoch ms). */
export function stepTime(steps: Step[], op: string, name: string, at: "started" | "finished"): number {
  const step = steps.find((s) => s.op === op && s.name === name);
  if (!step) throw new Error(`no ${op} step for ${name}; steps: ${steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`).join(", ")}`);
  return step[at];
}
