/**
 * One shape for the three ways an AWS stack opens a port: inline `ingress` blocks of aws.ec2.SecurityGroup,
 * aws.ec2.SecurityGroupRule (type "ingress") and aws.vpc.SecurityGroupIngressRule. The exposure policies
 * then ask one question: does this rule let the whole internet reach port P?
 */
import { TYPES } from "./resources";

export interface IngressRule {
  /** "-1" (all protocols), "tcp", "udp", "icmp", or a protocol number. */
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrs: string[];
  /** Where the rule is written, for messages: "ingress[1]" or the resource itself. */
  where: string;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);
const num = (v: unknown): number => (typeof v === "number" ? v : Number(v ?? 0));

/** The ingress rules a resource declares ([] for egress rules and other types). */
export function ingressRules(type: string, props: Record<string, any>): IngressRule[] {
  switch (type) {
    case TYPES.securityGroup: {
      const blocks: Record<string, any>[] = Array.isArray(props.ingress) ? props.ingress : [];
      return blocks.map((b, i) => ({
        protocol: String(b.protocol ?? "-1"),
        fromPort: num(b.fromPort),
        toPort: num(b.toPort),
        cidrs: [...strings(b.cidrBlocks), ...strings(b.ipv6CidrBlocks)],
        where: `ingress[${i}]`,
      }));
    }
    case TYPES.securityGroupRule:
      if (props.type !== "ingress") return [];
      return [{
        protocol: String(props.protocol ?? "-1"),
        fromPort: num(props.fromPort),
        toPort: num(props.toPort),
        cidrs: [...strings(props.cidrBlocks), ...strings(props.ipv6CidrBlocks)],
        where: "the rule",
      }];
    case TYPES.securityGroupIngressRule:
      return [{
        protocol: String(props.ipProtocol ?? "-1"),
        fromPort: num(props.fromPort),
        toPort: num(props.toPort),
        cidrs: [...strings(props.cidrIpv4), ...strings(props.cidrIpv6)],
        where: "the rule",
      }];
    default:
      return [];
  }
}

export const isIngressType = (type: string): boolean =>
  type === TYPES.securityGroup || type === TYPES.securityGroupRule || type === TYPES.securityGroupIngressRule;

/** Whether a TCP port is reachable through the rule (all-protocol rules open every port). */
export function coversTcpPort(rule: IngressRule, port: number): boolean {
  const p = rule.protocol.toLowerCase();
  if (p === "-1" || p === "all") return true;
  if (p !== "tcp" && p !== "6") return false;
  return rule.fromPort <= port && port <= rule.toPort;
}

/**
 * Whether a CIDR opens a port to (nearly) the whole internet. Not only /0: 0.0.0.0/1 + 128.0.0.0/1 is the
 * whole IPv4 internet in two rules, and a /8 of public space is 16 million addresses. So an IPv4 CIDR of /8
 * or wider counts, except 10.0.0.0/8 (private); an IPv6 CIDR of /16 or wider counts, except fc00::/7 (unique local).
 */
export function isWorldCidr(cidr: string): boolean {
  const c = cidr.trim();
  const m = /^(.*)\/(\d+)$/.exec(c);
  if (!m) return false;
  const bits = Number(m[2]);
  if (m[1].includes(":")) return bits <= 16 && !/^f[cd][0-9a-f]{0,2}:/i.test(m[1]);
  return bits <= 8 && !(bits === 8 && m[1].startsWith("10."));
}

export function worldCidrs(rule: IngressRule): string[] {
  return rule.cidrs.filter(isWorldCidr);
}

/** Whether the rule lets TCP reach any port of [from, to]. */
export function coversTcpRange(rule: IngressRule, from: number, to: number): boolean {
  const p = rule.protocol.toLowerCase();
  if (p === "-1" || p === "all") return true;
  if (p !== "tcp" && p !== "6") return false;
  return rule.fromPort <= to && from <= rule.toPort;
}
