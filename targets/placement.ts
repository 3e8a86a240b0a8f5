/**
 * What runs where, for every target with several machines (hosts, aws): one placement path. Pure, so the
 * rules are unit-tested and both targets share them.
 *
 * Rules: etcd members on distinct hosts (losing one host costs one member); the etcd proxy and the gateway on
 * the gateway host; a registrator and `backend.replicas` backends on each backend host. Machines either all
 * carry roles, or none does and roles are given by the aws layout: the first machine is the etcd host, the
 * second the gateway host, the others backend hosts, and members go on the etcd host, then the backend hosts.
 */
import type { HostRole } from "./host";

export const ROLES: readonly HostRole[] = ["etcd", "gateway", "backend"];

export interface MachineSpec {
  name: string;
  /** Empty or absent: automatic placement (then on every machine). */
  roles?: HostRole[];
}

export interface Placement {
  /** Every machine with its roles as placed (automatic placement filled in). */
  hosts: { name: string; roles: HostRole[] }[];
  /** One machine per etcd member, in member order; all distinct. */
  etcdHosts: string[];
  gatewayHost: string;
  backendHosts: string[];
}

/**
 * The placement, or the problems that prevent it (each naming `setting`, the config key the machines come
 * from, and the fix).
 */
export function place(machines: MachineSpec[], etcdMembers: number, setting: string): { placement?: Placement; problems: string[] } {
  const problems: string[] = [];
  const withRoles = machines.filter((m) => m.roles?.length);
  if (withRoles.length && withRoles.length < machines.length) {
    const bare = machines.filter((m) => !m.roles?.length).map((m) => m.name);
    return { problems: [`switchyard:${setting}: ${bare.join(", ")} ${bare.length > 1 ? "have" : "has"} no roles while other hosts have; give every host roles (etcd, gateway, backend) or none for automatic placement`] };
  }
  let hosts: Placement["hosts"];
  if (withRoles.length) {
    hosts = machines.map((m) => ({ name: m.name, roles: ROLES.filter((r) => m.roles!.includes(r)) }));
  } else {
    if (machines.length < 3) {
      return { problems: [`switchyard:${setting} lists ${machines.length} host${machines.length === 1 ? "" : "s"}; automatic placement needs at least 3 (an etcd host, a gateway host, a backend host); add hosts or give them roles (e.g. roles=etcd,gateway,backend on one host)`] };
    }
    const backends = machines.slice(2).map((m) => m.name);
    const etcd = [machines[0].name, ...backends].slice(0, etcdMembers);
    hosts = machines.map((m, i) => ({
      name: m.name,
      roles: i === 0 ? ["etcd"] : i === 1 ? ["gateway"] : etcd.includes(m.name) ? ["etcd", "backend"] : ["backend"],
    }));
  }
  const having = (r: HostRole) => hosts.filter((h) => h.roles.includes(r)).map((h) => h.name);
  for (const r of ROLES) {
    if (!having(r).length) problems.push(`switchyard:${setting}: no host has the role ${r}; add ${r} to the roles of one host`);
  }
  if (having("gateway").length > 1) {
    problems.push(`switchyard:${setting}: ${having("gateway").join(", ")} all have the role gateway; a stack runs one gateway host (the proxy and the gateway): keep gateway on one host (README "Deploying on your own machines" says how to run more gateways)`);
  }
  const etcdCandidates = having("etcd");
  if (etcdCandidates.length && etcdCandidates.length < etcdMembers) {
    problems.push(`switchyard:${setting}: ${etcdMembers} etcd members need ${etcdMembers} distinct hosts with the role etcd, but ${etcdCandidates.length === 1 ? "only" : ""} ${etcdCandidates.length} ${etcdCandidates.length === 1 ? "has" : "have"} it (${etcdCandidates.join(", ")}); ${withRoles.length ? "add etcd to more hosts' roles" : "add hosts"} or set etcd.members`.replace("  ", " "));
  }
  if (problems.length) return { problems };
  const etcdHosts = etcdCandidates.slice(0, etcdMembers);
  return {
    placement: {
      // A host with the role etcd beyond the members needed runs none: its roles say what it runs.
      hosts: hosts.map((h) => ({ ...h, roles: h.roles.filter((r) => r !== "etcd" || etcdHosts.includes(h.name)) })),
      etcdHosts,
      gatewayHost: having("gateway")[0],
      backendHosts: having("backend"),
    },
    problems,
  };
}

/** As `place`, for callers whose config is already validated: a problem left is a bug, thrown. */
export function placeOrThrow(machines: MachineSpec[], etcdMembers: number, setting: string): Placement {
  const { placement, problems } = place(machines, etcdMembers, setting);
  if (!placement) throw new Error(problems.join("; "));
  return placement;
}
