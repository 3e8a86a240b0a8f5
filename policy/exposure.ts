/**
 * What the world may reach. etcd's client and peer ports (2379/2380, plus whatever an etcd container is
 * configured to listen on) and ssh (22) are never published on all interfaces of a Docker host nor opened
 * to 0.0.0.0/0 or ::/0 in an AWS security group. The gateway port may be public: these policies look only
 * at the ports they protect.
 */
import type { ResourceValidationPolicy, ReportViolation } from "@pulumi/policy";
import { etcdListenHosts, etcdListenPorts, etcdSettings } from "./etcd-settings";
import { coversTcpPort, ingressRules, isIngressType, worldCidrs, type IngressRule } from "./ingress";
import { TYPES, describeContainer, isAllInterfaces, type ContainerInputs, type ContainerPortInput } from "./resources";

const ETCD_PORTS = [2379, 2380];
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
