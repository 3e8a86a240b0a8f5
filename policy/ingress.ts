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

/** A CIDR with prefix length 0 is the whole IPv4 or IPv6 internet. */
export const isWorldCidr = (cidr: string): boolean => /\/0+$/.test(cidr.trim());

export function worldCidrs(rule: IngressRule): string[] {
  return rule.cidrs.filter(isWorldCidr);
}
