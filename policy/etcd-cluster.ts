/**
 * etcd cluster shape. The pack learns the member count from what each member container is told at
 * bootstrap: `--initial-cluster` (or ETCD_INITIAL_CLUSTER) lists every member, so one member's resource
 * is enough to judge the cluster — on docker and AWS alike, whatever the resources are named. A stack policy
 * cross-checks that the stack declares a container for every listed member.
 *
 * Single member: allowed by `etcd-member-count` (a throwaway dev stack may choose it explicitly) but reported
 * by the advisory `etcd-single-member`; a production pack config sets that one to mandatory.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { etcdSettings, initialCluster } from "./etcd-settings";
import { TYPES, describeContainer, type ContainerInputs } from "./resources";

function memberOf(type: string, name: string, props: Record<string, any>) {
  if (type !== TYPES.container) return undefined;
  const settings = etcdSettings(props as ContainerInputs);
  if (settings?.role !== "member") return undefined;
  const members = initialCluster(settings);
  return { settings, members, label: describeContainer(name, props as ContainerInputs) };
}

export const etcdMemberCount: ResourceValidationPolicy = {
  name: "etcd-member-count",
  description: "An etcd cluster has an odd number of members, at least 3 (a single member is reported by etcd-single-member).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    const m = memberOf(args.type, args.name, args.props);
    if (!m) return args.notApplicable("only etcd member containers (--initial-cluster) are checked");
    const n = m.members.length;
    if (n === 1) return;
    if (n % 2 === 0 || n < 3) {
      reportViolation(
        `etcd ${m.label} bootstraps a cluster of ${n} members (--initial-cluster: ${m.members.map((x) => x.name).join(", ")}). ` +
          `An even count tolerates no more failures than one member fewer, and a partition into two halves leaves neither with quorum. ` +
          `Fix: use an odd number of members, at least 3 (3 tolerates one failure, 5 tolerates two): pulumi config set etcd.members 3 (or 5).`,
      );
    }
  },
};

export const etcdSingleMember: ResourceValidationPolicy = {
  name: "etcd-single-member",
  description: "A single-member etcd cluster has no fault tolerance (advisory: acceptable for a throwaway dev stack).",
  enforcementLevel: "advisory",
  severity: "medium",
  validateResource: (args, reportViolation) => {
    const m = memberOf(args.type, args.name, args.props);
    if (!m) return args.notApplicable("only etcd member containers (--initial-cluster) are checked");
    if (m.members.length === 1) {
      reportViolation(
        `etcd ${m.label} is the only member of its cluster: when it stops, the registry is gone and every gateway serves stale routes. ` +
          `Acceptable for a throwaway dev stack; for anything shared: pulumi config set etcd.members 3 (or 5). ` +
          `To forbid single-member clusters, set this policy to mandatory in the policy pack config.`,
      );
    }
  },
};

export const etcdClusterComplete: StackValidationPolicy = {
  name: "etcd-cluster-complete",
  description: "Every member listed in an etcd cluster's --initial-cluster is declared as a container in the stack, and no more.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateStack: (args, reportViolation) => {
    const clusters = new Map<string, { listed: Set<string>; declared: Map<string, string> }>();
    for (const r of args.resources) {
      const m = memberOf(r.type, r.name, r.props);
      if (!m) continue;
      const token = m.settings.values.get("initial-cluster-token") ?? "(no --initial-cluster-token)";
      const c = clusters.get(token) ?? { listed: new Set<string>(), declared: new Map<string, string>() };
      for (const x of m.members) c.listed.add(x.name);
      c.declared.set(m.settings.values.get("name") ?? r.name, r.urn);
      clusters.set(token, c);
    }
    if (clusters.size === 0) return args.notApplicable("the stack has no etcd member containers");
    for (const [token, c] of clusters) {
      const missing = [...c.listed].filter((n) => !c.declared.has(n));
      const extra = [...c.declared.keys()].filter((n) => !c.listed.has(n));
      if (missing.length === 0 && extra.length === 0) continue;
      reportViolation(
        `etcd cluster "${token}" lists ${c.listed.size} members in --initial-cluster (${[...c.listed].join(", ")}) but the stack declares ` +
          `${c.declared.size} member containers (${[...c.declared.keys()].join(", ")})` +
          (missing.length ? `; missing: ${missing.join(", ")}` : "") +
          (extra.length ? `; not listed: ${extra.join(", ")}` : "") +
          `. A cluster that cannot reach quorum at bootstrap never starts. Fix: declare exactly one container per listed member, ` +
          `all built from the same member list (components/etcd/flags.ts memberFlags).`,
      );
    }
  },
};
