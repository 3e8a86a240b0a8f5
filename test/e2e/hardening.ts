/**
 * Least-privilege checks on a deployed stack (issue #20, findings 4 and 5), on the real containers: the
 * proxy's workers do not run as root, the stats page and metrics are not reachable from a non-operator
 * address while the gateway port is, and every private key file in every container is 0600.
 */
import { execFile } from "node:child_process";
import net from "node:net";
import os from "node:os";
import { promisify } from "node:util";
import { expect } from "vitest";
import type { E2EStack } from "./fixture";

const run = promisify(execFile);
const dockerCli = async (...args: string[]) => (await run("docker", args, { timeout: 60_000 })).stdout.trim();

/** An address of this machine other than loopback: where a non-operator on the network would connect. */
export function nonLoopbackAddress(): string {
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  throw new Error("this machine has no non-loopback IPv4 address to test exposure from");
}

/** "connected" or the connect error's code (ECONNREFUSED, ETIMEDOUT, ...). */
export function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port, timeout: 3000 });
    sock.once("connect", () => { sock.destroy(); resolve("connected"); });
    sock.once("timeout", () => { sock.destroy(); resolve("ETIMEDOUT"); });
    sock.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** uid and command line of every process in a container, as the host sees them. */
export async function processes(container: string): Promise<{ uid: number; args: string }[]> {
  const out = await dockerCli("top", container, "-eo", "pid,uid,args");
  return out.split("\n").slice(1).map((l) => /^\s*\d+\s+(\d+)\s+(.*)$/.exec(l)).filter((m): m is RegExpExecArray => !!m).map((m) => ({ uid: Number(m[1]), args: m[2] }));
}

export async function hostPort(container: string, containerPort: number): Promise<{ ip: string; port: number }> {
  const out = await dockerCli("port", container, `${containerPort}/tcp`);
  const m = /^(.*):(\d+)$/.exec(out.split("\n")[0]);
  if (!m) throw new Error(`${container} does not publish ${containerPort}: ${out}`);
  return { ip: m[1], port: Number(m[2]) };
}

export async function checkHardening(s: E2EStack): Promise<void> {
  const gateway = `${s.prefix}-gateway-${s.kind}`;

  // Workers as their own user: nginx "worker process"es as www-data; haproxy's worker (same command line
  // as its master in master-worker mode) as haproxy. Only the master keeps root, to bind and to reload.
  const procs = await processes(gateway);
  const proxy = procs.filter((p) => (s.kind === "nginx" ? /^nginx: /.test(p.args) : /^haproxy /.test(p.args)));
  const workers = proxy.filter((p) => (s.kind === "nginx" ? p.args.includes("worker process") : p.uid !== 0));
  expect(workers.length, JSON.stringify(procs)).toBeGreaterThan(0);
  for (const w of workers) expect(w.uid, w.args).not.toBe(0);
  expect(proxy.filter((p) => p.uid === 0), "one root master").toHaveLength(1);
  // And the container holds only the capabilities the master needs, with no-new-privileges.
  const status = await dockerCli("exec", gateway, "sh", "-c", "grep -E '^(CapEff|NoNewPrivs)' /proc/1/status");
  expect(status).toMatch(/NoNewPrivs:\s+1/);
  expect(status).toMatch(/CapEff:\s+0+e1\b/); // CHOWN(0) KILL(5) SETGID(6) SETUID(7)

  // The stats page and the metrics: published on 127.0.0.1 only. From this machine's network address they
  // are refused, while the gateway port (public) answers there: the check can tell the two apart.
  const outside = nonLoopbackAddress();
  const stats = await hostPort(gateway, 1936);
  const metrics = await hostPort(gateway, 9100);
  const web = await hostPort(gateway, 8000);
  expect([stats.ip, metrics.ip]).toEqual(["127.0.0.1", "127.0.0.1"]);
  expect(await tryConnect(outside, web.port)).toBe("connected");
  expect(await tryConnect(outside, stats.port)).toBe("ECONNREFUSED");
  expect(await tryConnect(outside, metrics.port)).toBe("ECONNREFUSED");
  expect(await tryConnect("127.0.0.1", metrics.port)).toBe("connected");

  // Every private key file in every container of the stack: 0600, owned by root (who reads it there).
  const keyFiles: string[] = [];
  for (const c of await s.containers()) {
    const name = c.Names[0].replace(/^\//, "");
    const out = await dockerCli("exec", name, "sh", "-c", "find /etc -xdev -type f \\( -name '*key*.pem' -o -name '*.key' \\) -exec stat -c '%a %u %n' {} + 2>/dev/null || true");
    for (const line of out.split("\n").filter(Boolean)) keyFiles.push(`${name} ${line}`);
  }
  for (const f of keyFiles) expect(f).toMatch(/ 600 0 /);
  if (s.tls) expect(keyFiles.length, "with TLS every container but the backends holds a key").toBe((await s.containers()).length - 2);
}
