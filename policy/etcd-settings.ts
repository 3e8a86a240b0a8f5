/**
 * Reads an etcd container's settings from what Pulumi sees: its command and entrypoint flags
 * (`--name=m0`, `--client-cert-auth`, `--name m0`) and its ETCD_* environment variables. This is how the pack
 * recognises etcd members and the etcd proxy without depending on resource names or labels: a member is a
 * container whose settings bootstrap a cluster (`--initial-cluster`, as components/etcd/flags.ts
 * `memberFlags` emits), the proxy is `etcd gateway start` / `etcd grpc-proxy start`.
 */
import type { ContainerInputs } from "./resources";

export type EtcdRole = "member" | "proxy";

export interface EtcdSettings {
  role: EtcdRole;
  /** Flag name without dashes -> value ("" for a bare boolean flag). Flags win over ETCD_* variables. */
  values: Map<string, string>;
}

const unquote = (s: string) => s.replace(/^(['"])(.*)\1$/, "$2");

/** Tokens of entrypoint + command; a `sh -c "etcd --x=y ..."` string is split on whitespace too. */
export function commandTokens(props: ContainerInputs): string[] {
  const parts = [...(asStrings(props.entrypoints)), ...(asStrings(props.command))];
  return parts.flatMap((p) => p.split(/\s+/)).map(unquote).filter((t) => t.length > 0);
}

function asStrings(v: unknown): string[] {
  if (!Array.isArray(v)) return [];
  const out: string[] = [];
  for (const x of v) if (typeof x === "string") out.push(x);
  return out;
}

export function flagValues(tokens: string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (!t.startsWith("--") || t === "--") continue;
    const eq = t.indexOf("=");
    if (eq > 0) {
      values.set(t.slice(2, eq), unquote(t.slice(eq + 1)));
    } else {
      const next = tokens[i + 1];
      // `--name m0` form; a bare flag followed by another flag is a boolean.
      if (next !== undefined && !next.startsWith("-")) {
        values.set(t.slice(2), next);
        i++;
      } else {
        values.set(t.slice(2), "");
      }
    }
  }
  return values;
}

/** ETCD_INITIAL_CLUSTER=... -> initial-cluster (etcd's own mapping of flags to variables). */
export function envValues(envs: unknown): Map<string, string> {
  const values = new Map<string, string>();
  for (const e of asStrings(envs)) {
    const eq = e.indexOf("=");
    if (eq <= 0 || !e.startsWith("ETCD_")) continue;
    const key = e.slice(5, eq).toLowerCase().replace(/_/g, "-");
    values.set(key, e.slice(eq + 1));
  }
  return values;
}

/** The container's etcd role and settings, or undefined when it is not an etcd member or proxy. */
export function etcdSettings(props: ContainerInputs): EtcdSettings | undefined {
  const tokens = commandTokens(props);
  const values = new Map([...envValues(props.envs), ...flagValues(tokens)]);
  if (values.has("initial-cluster") || values.has("initial-advertise-peer-urls")) return { role: "member", values };
  const positional = tokens.filter((t) => !t.startsWith("-"));
  const isProxy =
    (positional.includes("gateway") || positional.includes("grpc-proxy")) && positional.includes("start") &&
    (values.has("endpoints") || values.has("listen-addr"));
  return isProxy ? { role: "proxy", values } : undefined;
}

/** Members of `--initial-cluster=a=http://h:2380,b=...` as [name, peerUrl] pairs. */
export function initialCluster(s: EtcdSettings): { name: string; peerUrl: string }[] {
  const raw = s.values.get("initial-cluster") ?? "";
  return raw
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e.length > 0)
    .map((e) => {
      const eq = e.indexOf("=");
      return eq > 0 ? { name: e.slice(0, eq), peerUrl: e.slice(eq + 1) } : { name: e, peerUrl: "" };
    });
}

export function urlList(s: EtcdSettings, key: string): string[] {
  return (s.values.get(key) ?? "").split(",").map((u) => u.trim()).filter((u) => u.length > 0);
}

/** host and port of "http://0.0.0.0:2379", "https://[::]:2379" or "0.0.0.0:23790" (the proxy's --listen-addr). */
export function hostPort(address: string): { host: string; port?: number } {
  const hp = address.replace(/^[a-z][a-z0-9+.-]*:\/\//i, "").replace(/\/.*$/, "");
  const m = /^\[([^\]]*)\](?::(\d+))?$/.exec(hp) ?? /^([^:]*)(?::(\d+))?$/.exec(hp);
  if (!m) return { host: hp }; // a bare IPv6 address without brackets and port
  return { host: m[1], port: m[2] ? Number(m[2]) : undefined };
}

/** Ports an etcd container serves clients or peers on: the well-known 2379/2380 plus any configured listener. */
export function etcdListenPorts(s: EtcdSettings): Set<number> {
  const ports = new Set<number>([2379, 2380]);
  for (const address of etcdListenAddresses(s)) {
    const p = hostPort(address).port;
    if (p !== undefined) ports.add(p);
  }
  return ports;
}

function etcdListenAddresses(s: EtcdSettings): string[] {
  const addresses = [...urlList(s, "listen-client-urls"), ...urlList(s, "listen-peer-urls")];
  const listenAddr = s.values.get("listen-addr");
  if (listenAddr) addresses.push(listenAddr);
  return addresses;
}

/** Listener hosts of an etcd container: client and peer URLs, or the proxy's listen address. */
export function etcdListenHosts(s: EtcdSettings): string[] {
  return etcdListenAddresses(s).map((a) => hostPort(a).host);
}
