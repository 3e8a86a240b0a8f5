/**
 * The real program (index.ts) on the hosts target, deployed by the harness onto the four test hosts, with
 * the same fixture pieces as the single-host end-to-end tests. The harness reaches each host's dockerd at
 * tcp:// (it does not emulate the docker provider's ssh:// transport); the hosts' sshd is checked separately.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { connectEtcd } from "../../lib/etcd/client";
import { ETCD_TEST_IMAGE, harnessTls, nsName, ROOT } from "../e2e/fixture";
import { destroy, up, type Step } from "../harness";
import { TEST_HOSTS, type TestHosts } from "./hosts";

export interface MultiHostStack {
  stack: string;
  prefix: string;
  gatewayUrl: string;
  etcdEndpoint: string;
  log: Step[][];
  up(config?: Record<string, string>): Promise<{ outputs: Record<string, unknown>; steps: Step[] }>;
  destroy(): Promise<Step[]>;
  /** A client of the stack's etcd as the operator (root identity), through the proxy or at one member. */
  etcd(endpoint?: string): ReturnType<typeof connectEtcd>;
  /** Everything of the stack on every host, by host. */
  leftovers(): Promise<Record<string, string[]>>;
  cleanup(): Promise<void>;
}

export function multiHostStack(t: TestHosts, name = "multihost"): MultiHostStack {
  const stack = nsName(name);
  const prefix = `switchyard-${stack}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `switchyard-${stack}-`));
  const stateFile = path.join(dir, "state.json");
  const gateway = t.hosts.gateway.address;
  const config: Record<string, string> = {
    target: "hosts",
    "hosts.machines": JSON.stringify(TEST_HOSTS.map((h) => `name=${h} address=${t.hosts[h].address} docker=${t.hosts[h].tcp}`)),
    "etcd.image": ETCD_TEST_IMAGE,
    "gateway.kind": "nginx",
    "switch.gateTimeoutSeconds": "90",
    "registrator.ttlSeconds": "5",
  };
  const tls = harnessTls(stateFile);
  const log: Step[][] = [];
  const etcdEndpoint = `https://${gateway}:2379`;
  const self: MultiHostStack = {
    stack,
    prefix,
    gatewayUrl: `http://${gateway}:8000`,
    etcdEndpoint,
    log,
    async up(extra = {}) {
      const r = await up(path.join(ROOT, "index.ts"), { stateFile, stack, config: { ...config, ...extra } });
      log.push(r.steps);
      return r;
    },
    async destroy() {
      const r = await destroy({ stateFile, stack });
      log.push(r.steps);
      return r.steps;
    },
    etcd: (endpoint = etcdEndpoint) => connectEtcd({ endpoints: [endpoint], callTimeoutMs: 3000, tls: tls.identity("root") }),
    async leftovers() {
      const out: Record<string, string[]> = {};
      for (const h of TEST_HOSTS) {
        const d = t.hosts[h].docker;
        const containers = (await d.listContainers({ all: true })).map((c) => `container ${c.Names[0]}`);
        const networks = (await d.listNetworks()).filter((n) => !["bridge", "host", "none"].includes(n.Name)).map((n) => `network ${n.Name}`);
        const volumes = ((await d.listVolumes()).Volumes ?? []).map((v) => `volume ${v.Name}`);
        out[h] = [...containers, ...networks, ...volumes];
      }
      return out;
    },
    async cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return self;
}
