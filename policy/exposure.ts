/**
 * What the world may reach. etcd's client and peer ports (2379/2380, plus whatever an etcd container is
 * configured to listen on) and ssh (22) are never published on all interfaces of a Docker host nor opened
 * to 0.0.0.0/0 or ::/0 in an AWS security group. The gateway port may be public: these policies look only
 * at the ports they protect.
 */
import type { ResourceValidationPolicy, ReportViolation, StackValidationPolicy } from "@pulumi/policy";
import { commandTokens, etcdListenHosts, etcdListenPorts, etcdSettings, flagValues } from "./etcd-settings";
import { coversTcpPort, coversTcpRange, ingressRules, isIngressType, worldCidrs, type IngressRule } from "./ingress";
import { TYPES, describeContainer, isAllInterfaces, plain, type ContainerInputs, type ContainerPortInput } from "./resources";

const ETCD_PORTS = [2379, 2380];
/**
 * Host ports at which the aws target publishes what only the stack dials (etcd members, the proxy's internal
 * port, backends): targets/aws-ports.ts INTERNAL_PORT_MIN..MAX (a unit test keeps the two equal).
 */
export const INTERNAL_HOST_PORTS = { min: 20000, max: 29999 };
const SSH_PORT = 22;

function publishedOnAllInterfaces(props: ContainerInputs, ports: Set<number>): ContainerPortInput[] {
  const entries: ContainerPortInput[] = Array.isArray(props.ports) ? props.ports : [];
  return entries.filter((p) => p.internal !== undefined && ports.has(Number(p.internal)) && (p.protocol ?? "tcp") === "tcp" && isAllInterfaces(p.ip));
}

const describeIp = (ip: string | undefined) => (ip === undefined || ip === "" ? "ip not set, which Docker binds to 0.0.0.0" : `ip "${ip}"`);
const describeRule = (r: IngressRule) => (r.protocol === "-1" || r.protocol === "all" ? "all protocols and ports" : `${r.protocol} ${r.fromPort}-${r.toPort}`);

function checkSecurityGroup(name: string, type: string, props: Record<string, any>, ports: number[], what: string, fix: string, report: ReportViolation) {
  for (const rule of ingressRules(type, props)) {
    const open = ports.filter((p) => coversTcpPort(rule, p));
    const world = worldCidrs(rule);
    if (open.length === 0 || world.length === 0) continue;
    report(`Security group "${name}" ${rule.where} (${describeRule(rule)}) opens ${what} port ${open.join("/")} to ${world.join(" and ")}. ${fix}`);
  }
}

export const etcdPortsNotPublic: ResourceValidationPolicy = {
  name: "etcd-ports-not-public",
  description: "etcd client and peer ports are never published on all interfaces of a Docker host nor open to 0.0.0.0/0 or ::/0 in a security group.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, reportViolation) => {
    if (isIngressType(args.type)) {
      checkSecurityGroup(args.name, args.type, args.props, ETCD_PORTS, "etcd client/peer", "Anyone on the internet could read and rewrite the registry and so route traffic anywhere. " +
        "Fix: allow 2379/2380 only from the stack's own security group (self = true or a source security group), and the etcd proxy only from the operator's CIDR.", reportViolation);
      const { min, max } = INTERNAL_HOST_PORTS;
      for (const rule of ingressRules(args.type, args.props)) {
        const world = worldCidrs(rule);
        if (world.length === 0 || !coversTcpRange(rule, min, max) || ETCD_PORTS.some((p) => coversTcpPort(rule, p))) continue;
        reportViolation(`Security group "${args.name}" ${rule.where} (${describeRule(rule)}) opens host ports in ${min}-${max} to ${world.join(" and ")}: ` +
          `on the aws target etcd members and the proxy's internal port are published there. Fix: allow ${min}-${max} only from the stack's own security group.`);
      }
      return;
    }
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers and security groups/rules publish ports");
    const props = args.props as ContainerInputs;
    const settings = etcdSettings(props);
    const ports = settings ? etcdListenPorts(settings) : new Set(ETCD_PORTS);
    const label = `${settings ? "etcd " : ""}${describeContainer(args.name, props)}`;
    for (const p of publishedOnAllInterfaces(props, ports)) {
      reportViolation(
        `${label} publishes etcd port ${p.internal} as host port ${p.external ?? "(random)"} on all interfaces (${describeIp(p.ip)}): anyone who reaches the Docker host can read and rewrite the registry. ` +
          `Fix: publish it on 127.0.0.1 only (ports[].ip = "127.0.0.1", for the operator's etcdctl) or not at all — the stack's containers reach etcd over the stack's network.`,
      );
    }
    if (settings && props.networkMode === "host" && etcdListenHosts(settings).some(isAllInterfaces)) {
      reportViolation(
        `${label} runs etcd with networkMode "host" listening on all interfaces, which exposes its client/peer ports on every address of the Docker host. ` +
          `Fix: use the stack's bridge network (or listen on a private address only) and publish the client port on 127.0.0.1 if the operator needs it.`,
      );
    }
  },
};

export const sshNotOpenToWorld: ResourceValidationPolicy = {
  name: "ssh-not-open-to-world",
  description: "ssh (22) is never open to 0.0.0.0/0 or ::/0 in a security group, nor published on all interfaces of a Docker host.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    if (isIngressType(args.type)) {
      checkSecurityGroup(args.name, args.type, args.props, [SSH_PORT], "ssh", "Fix: allow 22 only from the operator's CIDR (set the stack's operator CIDR to your address, e.g. 203.0.113.7/32).", reportViolation);
      return;
    }
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers and security groups/rules publish ports");
    const props = args.props as ContainerInputs;
    for (const p of publishedOnAllInterfaces(props, new Set([SSH_PORT]))) {
      reportViolation(
        `${describeContainer(args.name, props)} publishes ssh port 22 as host port ${p.external ?? "(random)"} on all interfaces (${describeIp(p.ip)}). ` +
          `Fix: publish it on 127.0.0.1 (ports[].ip = "127.0.0.1") and reach it through the host's own ssh, or drop the port.`,
      );
    }
  },
};

/** Container ports of a gateway's stats page and of the agents' /metrics, read from what the container runs. */
export function observationPorts(props: ContainerInputs): { port: number; what: string }[] {
  const out: { port: number; what: string }[] = [];
  const port = (listen: string | undefined) => (listen && /:(\d+)$/.test(listen) ? Number(/:(\d+)$/.exec(listen)![1]) : undefined);
  const flags = flagValues(commandTokens(props));
  const stats = port(flags.get("stats"));
  if (stats !== undefined) out.push({ port: stats, what: "stats page" });
  const metrics = port(flags.get("metrics"));
  if (metrics !== undefined) out.push({ port: metrics, what: "metrics" });
  const envs = plain(props.envs);
  for (const e of Array.isArray(envs) ? envs : []) {
    const m = typeof e === "string" ? /^(REGISTRATOR_LISTEN|GATEWAY_METRICS|METRICS_LISTEN)=(.*)$/.exec(e) : null;
    const p = m ? port(m[2]) : undefined;
    if (p !== undefined) out.push({ port: p, what: "metrics" });
  }
  return out;
}

export const statsNotPublic: StackValidationPolicy = {
  name: "stats-and-metrics-not-public",
  description: "The gateway's stats page and the agents' metrics (service and endpoint names, health, traffic, versions) are published for the operator only: on a loopback or private address, and no security group opens them to the world.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, report) => {
    const published: { host: number; what: string; label: string }[] = [];
    for (const r of args.resources) {
      if (r.type !== TYPES.container) continue;
      const props = r.props as ContainerInputs;
      const obs = observationPorts(props);
      if (obs.length === 0) continue;
      const label = describeContainer(r.name, props);
      const ports: ContainerPortInput[] = Array.isArray(props.ports) ? props.ports : [];
      for (const o of obs) {
        for (const p of ports.filter((x) => Number(x.internal) === o.port)) {
          const host = Number(p.external ?? p.internal);
          published.push({ host, what: o.what, label });
          if (isAllInterfaces(p.ip)) {
            report(`${label} publishes its ${o.what} (port ${o.port}) as host port ${host} on all interfaces (${describeIp(p.ip)}): anyone who reaches the host sees service and endpoint names, health and traffic. ` +
              `Fix: publish it for the operator only (ports[].ip = "127.0.0.1"; the program does this unless told otherwise) and reach it with ssh -L from elsewhere.`, r.urn);
          }
        }
      }
    }
    if (published.length === 0) return args.notApplicable("no stats page or metrics port is published");
    for (const r of args.resources) {
      if (!isIngressType(r.type)) continue;
      for (const rule of ingressRules(r.type, r.props)) {
        const world = worldCidrs(rule);
        if (world.length === 0 || rule.protocol === "-1" || rule.protocol === "all") continue;
        for (const p of published.filter((x) => coversTcpPort(rule, x.host))) {
          report(`Security group "${r.name}" ${rule.where} (${describeRule(rule)}) opens the ${p.what} of ${p.label} (host port ${p.host}) to ${world.join(" and ")}. ` +
            "Fix: allow that port only from the operator's CIDR (aws.operatorCidr).", r.urn);
        }
      }
    }
  },
};

/** More ports than this in one rule between the stack's hosts is "all ports", not a role's ports. */
const WIDE_RANGE = 1024;

export const securityGroupNoAllPortsBetweenHosts: ResourceValidationPolicy = {
  name: "security-group-no-all-ports-between-hosts",
  description: "No security group rule lets the stack's hosts reach every port of each other: peer ports only between members, client ports only to the proxy (a compromised backend host then cannot reach etcd's peer port).",
  enforcementLevel: "advisory",
  severity: "medium",
  validateResource: (args, report) => {
    if (!isIngressType(args.type)) return args.notApplicable("only security groups and their rules are checked");
    const props = args.props as Record<string, any>;
    const blocks: Record<string, any>[] = args.type === TYPES.securityGroup ? (Array.isArray(props.ingress) ? props.ingress : []) : [props];
    ingressRules(args.type, props).forEach((rule, i) => {
      const b = blocks[i] ?? {};
      const fromGroup = b.self === true || b.sourceSecurityGroupId !== undefined || b.referencedSecurityGroupId !== undefined || (Array.isArray(b.securityGroups) && b.securityGroups.length > 0);
      const all = rule.protocol === "-1" || rule.protocol === "all" || rule.toPort - rule.fromPort + 1 > WIDE_RANGE;
      if (!fromGroup || !all) return;
      report(`Security group "${args.name}" ${rule.where} (${describeRule(rule)}) lets every host of the group reach every port of every other: a backend host (running containers you did not write) can reach etcd's peer and client ports directly. ` +
        "Fix: one rule per role — etcd peer port only from the members, etcd client port only from the proxy's host, the internal host-port range only from the hosts that dial it.");
    });
  },
};
