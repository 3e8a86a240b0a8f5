/**
 * `hosts.machines`: the machines of the hosts target, one entry per machine, as
 *   "name=backend-1 address=10.0.0.13 docker=ssh://admin@10.0.0.13 roles=etcd,backend"
 * (fields separated by spaces; roles optional — none on any machine means automatic placement). Parsed and
 * checked here, before anything is touched, each problem naming the setting and the fix. Pure.
 */
import type { HostRole } from "./host";
import type { HostMachine } from "./hosts";
import { place, ROLES } from "./placement";
import { isHostname, isIpv4 } from "../lib/etcd/keys";

const SETTING = "switchyard:hosts.machines";
const EXAMPLE = `pulumi config set --path 'hosts.machines[0]' 'name=etcd address=10.0.0.11 docker=ssh://admin@10.0.0.11'`;
/** A host name as it appears in container and resource names. */
const NAME = /^[a-z0-9][a-z0-9-]{0,30}$/;

export function addressProblem(address: string): string | undefined {
  if (isIpv4(address)) return address.startsWith("0.") || address.startsWith("127.") ? `'${address}' cannot be reached from another machine` : undefined;
  if (/^[\d.]+$/.test(address)) return `'${address}' is not an IPv4 address`;
  if (!isHostname(address) || address === "localhost") return `'${address}' is not an IPv4 address or DNS name the other machines can reach`;
  return undefined;
}

/** Docker endpoint grammar the docker provider accepts: ssh://[user@]host[:port], tcp://host:port, unix:///path. */
export function endpointProblem(endpoint: string): string | undefined {
  const m = /^(ssh|tcp|unix):\/\/(.*)$/.exec(endpoint);
  if (!m) return `'${endpoint}' is not a Docker endpoint; use ssh://user@host (as \`docker -H\` takes it), tcp://host:2376 or unix:///var/run/docker.sock`;
  const [, scheme, rest] = m;
  if (scheme === "unix") return rest.startsWith("/") ? undefined : `'${endpoint}' needs an absolute socket path (unix:///var/run/docker.sock)`;
  const hp = /^(?:([a-z_][a-z0-9_.-]*)@)?([^:@/]+)(?::(\d{1,5}))?\/?$/i.exec(rest);
  if (!hp) return `'${endpoint}' is malformed; use ${scheme === "ssh" ? "ssh://user@host[:port]" : "tcp://host:port"}`;
  const [, user, host, port] = hp;
  if (scheme === "tcp" && user) return `'${endpoint}': tcp:// takes no user; use ssh://${user}@${host} for a login`;
  if (addressProblem(host) && !(scheme === "tcp" && host === "localhost")) return `'${endpoint}' has no valid host`;
  if (port && !(Number(port) >= 1 && Number(port) <= 65535)) return `'${endpoint}' has port ${port}, outside 1-65535`;
  if (scheme === "tcp" && !port) return `'${endpoint}' needs a port (tcp://${host}:2376 with TLS, 2375 without)`;
  return undefined;
}

/** Parses one entry; problems are pushed, the machine is returned when the entry is usable. */
function parseEntry(entry: string, i: number, problems: string[]): HostMachine | undefined {
  const at = `${SETTING}[${i}]`;
  const fields: Record<string, string> = {};
  for (const part of entry.trim().split(/\s+/).filter(Boolean)) {
    const eq = part.indexOf("=");
    if (eq <= 0) {
      problems.push(`${at} = '${entry}': '${part}' is not field=value; write e.g. 'name=etcd address=10.0.0.11 docker=ssh://admin@10.0.0.11 roles=etcd'`);
      return undefined;
    }
    const k = part.slice(0, eq);
    if (!["name", "address", "docker", "roles"].includes(k)) {
      problems.push(`${at}: '${k}' is not a field of a host; the fields are name, address, docker and roles`);
      return undefined;
    }
    fields[k] = part.slice(eq + 1);
  }
  let ok = true;
  for (const k of ["name", "address", "docker"]) {
    if (!fields[k]) {
      problems.push(`${at} = '${entry}' has no ${k}=...; every host needs name, address (where the other hosts reach it) and docker (its Docker endpoint)`);
      ok = false;
    }
  }
  if (!ok) return undefined;
  if (!NAME.test(fields.name)) { problems.push(`${at}: name '${fields.name}' must be lower-case letters, digits and '-' (at most 31), e.g. backend-1`); ok = false; }
  const ap = addressProblem(fields.address);
  if (ap) { problems.push(`${at}: address ${ap}; give the address the other hosts reach this one at`); ok = false; }
  const ep = endpointProblem(fields.docker);
  if (ep) { problems.push(`${at}: docker ${ep}`); ok = false; }
  const roles = (fields.roles ?? "").split(",").filter(Boolean);
  const unknown = roles.filter((r) => !(ROLES as string[]).includes(r));
  if (unknown.length) { problems.push(`${at}: role ${unknown.join(", ")} is unknown; roles are ${ROLES.join(", ")} (comma-separated), or leave roles out on every host for automatic placement`); ok = false; }
  return ok ? { name: fields.name, address: fields.address, docker: fields.docker, ...(roles.length ? { roles: roles as HostRole[] } : {}) } : undefined;
}

/** The machines of `hosts.machines`, or the problems with them (syntax, duplicates, placement). */
export function parseMachines(entries: string[], etcdMembers: number): { machines: HostMachine[]; problems: string[] } {
  const problems: string[] = [];
  if (!entries.length) return { machines: [], problems: [`${SETTING} is empty: the hosts target needs the machines to deploy on; ${EXAMPLE} (one entry per machine)`] };
  const parsed = entries.map((e, i) => parseEntry(e, i, problems));
  const machines = parsed.filter((m): m is HostMachine => m !== undefined);
  const dup = (what: "name" | "address" | "docker", why: string) => {
    const seen = new Map<string, string>();
    for (const m of machines) {
      const v = m[what];
      if (seen.has(v)) problems.push(`${SETTING}: ${seen.get(v)} and ${m.name} have the same ${what} ${v}; ${why}`);
      else seen.set(v, m.name);
    }
  };
  dup("name", "host names must differ");
  dup("address", "every host needs its own address (two entries for one machine would put two etcd members on it)");
  dup("docker", "every host needs its own Docker endpoint");
  if (problems.length) return { machines, problems };
  return { machines, problems: place(machines, etcdMembers, "hosts.machines").problems };
}
