/**
 * The four test hosts of `testhosts` (network namespaces with their own dockerd and sshd) from TypeScript:
 * bring them up, read their addresses and endpoints, cut a host's link, tear them down.
 */
import Docker from "dockerode";
import { execFileSync } from "node:child_process";
import path from "node:path";

const SCRIPT = path.resolve(__dirname, "testhosts");
export const TEST_HOSTS = ["etcd", "gateway", "backend-1", "backend-2"] as const;
export type TestHostName = (typeof TEST_HOSTS)[number];

export interface TestHost {
  name: TestHostName;
  address: string;
  /** tcp://<address>:2375 (inside the test subnet only): what the harness's docker providers use. */
  tcp: string;
  /** ssh://root@<address>: the endpoint users have; sshd in the host's netns with the generated key. */
  ssh: string;
  docker: Docker;
}

function script(...args: string[]): string {
  return execFileSync(SCRIPT, args, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 600_000 });
}

export interface TestHosts {
  hosts: Record<TestHostName, TestHost>;
  /** The private key that logs in to every host's sshd as root. */
  sshKey: string;
  /** Cuts a host off the test bridge (`down`) or reconnects it (`up`). */
  link(host: TestHostName, state: "down" | "up"): void;
  down(): void;
}

/** Idempotent: starts what is missing, empties each engine, loads the base and etcd test images. */
export function testHostsUp(): TestHosts {
  script("up");
  const lines = script("env").trim().split("\n").map((l) => l.split(" "));
  const sshKey = lines.find((l) => l[0] === "key")![1];
  const hosts = Object.fromEntries(lines.filter((l) => l[0] !== "key").map(([name, address, tcp, ssh]) => {
    const u = new URL(tcp);
    return [name, { name, address, tcp, ssh, docker: new Docker({ host: u.hostname, port: Number(u.port) }) }];
  })) as Record<TestHostName, TestHost>;
  return {
    hosts,
    sshKey,
    link: (host, state) => void script("link", host, state),
    down: () => void script("down"),
  };
}
