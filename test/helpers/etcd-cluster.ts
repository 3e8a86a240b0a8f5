/**
 * A real etcd cluster for tests: N members of Debian's etcd as processes on loopback, started with the SAME
 * `memberFlags` the EtcdCluster component puts in its containers (only host and ports differ), and a real
 * `etcd gateway` started with `proxyFlags`, as the EtcdProxy component runs it.
 * With `tls: true` the members run with https client and peer URLs and client-certificate authentication
 * (memberFlags' tls files, certificates from a per-cluster test CA); `cluster.tls.identity(cn)` gives the
 * client material of an etcd user, and `connection()` defaults to the `root` identity.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { memberFlags, proxyFlags, type EtcdMemberAddress } from "../../components/etcd/flags";
import { connectEtcd, type EtcdConnection, type EtcdTls } from "../../lib/etcd/client";
import { freePorts, waitFor } from "./ports";
import { startProcess, tail, type Proc } from "./processes";
import { createTestCa, type TestCa } from "./tls-certs";

export interface TestCluster {
  dir: string;
  members: EtcdMemberAddress[];
  /** Client URLs of the members themselves. */
  memberEndpoints: string[];
  /** The proxy's client URL: what every switchyard client uses. */
  proxyEndpoint: string;
  /** Connection settings through the proxy (short deadline, for tests). */
  connection(overrides?: Partial<EtcdConnection>): EtcdConnection;
  kill(index: number): Promise<void>;
  restart(index: number): Promise<void>;
  killProxy(): Promise<void>;
  restartProxy(): Promise<void>;
  running(index: number): boolean;
  logs(): string;
  stop(): Promise<void>;
  /** Present when started with `tls: true`. */
  tls?: {
    ca: TestCa;
    /** CA and a client certificate whose CN is `cn` (the etcd user name under client-cert auth). */
    identity(cn: string): EtcdTls;
  };
}

export async function startEtcdCluster(opts: { size?: number; token?: string; proxy?: boolean; tls?: boolean } = {}): Promise<TestCluster> {
  const size = opts.size ?? 3;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "switchyard-etcd-"));
  const ports = await freePorts(size * 2 + 1);
  const members: EtcdMemberAddress[] = Array.from({ length: size }, (_, i) => ({
    name: `etcd-${i}`,
    host: "127.0.0.1",
    clientPort: ports[2 * i],
    peerPort: ports[2 * i + 1],
  }));
  const proxyPort = ports[size * 2];
  const token = opts.token ?? `test-${path.basename(dir)}`;
  const procs: (Proc | undefined)[] = new Array(size).fill(undefined);
  const ca = opts.tls ? createTestCa(path.join(dir, "pki")) : undefined;
  const memberTls = members.map((m) => {
    if (!ca) return undefined;
    const files = ca.server(m.name, [m.host, "localhost"]);
    return { certFile: files.certFile, keyFile: files.keyFile, caFile: ca.caFile };
  });
  const identities = new Map<string, EtcdTls>();
  const identity = (cn: string): EtcdTls => {
    if (!ca) throw new Error("identity(): the cluster was started without tls");
    if (!identities.has(cn)) {
      const c = ca.client(cn);
      identities.set(cn, { ca: ca.ca, cert: c.cert, key: c.key });
    }
    return identities.get(cn)!;
  };
  let proxy: Proc | undefined;

  const startMember = (i: number) => {
    const flags = memberFlags({ self: members[i].name, members, clusterToken: token, dataDir: path.join(dir, members[i].name), listenHost: "127.0.0.1", ...(memberTls[i] ? { tls: memberTls[i] } : {}) });
    procs[i] = startProcess("etcd", flags, path.join(dir, `${members[i].name}.log`));
  };
  const startProxy = () => {
    proxy = startProcess("etcd", proxyFlags({ members, listenHost: "127.0.0.1", listenPort: proxyPort }), path.join(dir, "proxy.log"));
  };
  const scheme = ca ? "https" : "http";
  const memberEndpoints = members.map((m) => `${scheme}://127.0.0.1:${m.clientPort}`);
  const proxyEndpoint = `${scheme}://127.0.0.1:${proxyPort}`;

  const cluster: TestCluster = {
    dir,
    members,
    memberEndpoints,
    proxyEndpoint,
    connection: (o) => ({ endpoints: [proxyEndpoint], callTimeoutMs: 3000, dialTimeoutMs: 3000, ...(ca ? { tls: identity("root") } : {}), ...o }),
    async kill(i) {
      await procs[i]?.kill("SIGKILL");
      procs[i] = undefined;
    },
    async restart(i) {
      if (procs[i]) await procs[i]!.kill("SIGKILL");
      startMember(i);
      await waitHealthy([memberEndpoints[i]]);
    },
    async killProxy() {
      await proxy?.kill("SIGKILL");
      proxy = undefined;
    },
    async restartProxy() {
      if (proxy) await proxy.kill("SIGKILL");
      startProxy();
      await waitHealthy([proxyEndpoint]);
    },
    running: (i) => procs[i] !== undefined,
    logs: () => members.map((m) => `--- ${m.name}\n${tail(path.join(dir, `${m.name}.log`), 15)}`).join("\n") + `\n--- proxy\n${tail(path.join(dir, "proxy.log"), 15)}`,
    async stop() {
      await Promise.all([...procs.map((p) => p?.kill("SIGKILL")), proxy?.kill("SIGKILL")]);
      fs.rmSync(dir, { recursive: true, force: true });
    },
    ...(ca ? { tls: { ca, identity } } : {}),
  };

  async function waitHealthy(endpoints: string[]) {
    // "root" has every right once auth is on; before, any certificate from the CA may read.
    const client = connectEtcd({ endpoints, callTimeoutMs: 1000, dialTimeoutMs: 1000, ...(ca ? { tls: identity("root") } : {}) });
    try {
      await waitFor(`etcd at ${endpoints.join(",")} to answer`, async () => {
        await client.get("health-probe").string();
        return true;
      }, 30_000, 100);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${cluster.logs()}`);
    } finally {
      client.close();
    }
  }

  try {
    for (let i = 0; i < size; i++) startMember(i);
    await waitHealthy(memberEndpoints);
    if (opts.proxy !== false) {
      startProxy();
      await waitHealthy([proxyEndpoint]);
    }
  } catch (e) {
    await cluster.stop();
    throw e;
  }
  return cluster;
}
