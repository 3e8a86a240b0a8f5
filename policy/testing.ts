/**
 * Runs a policy the way the Pulumi engine's analyzer does, without the CLI: builds ResourceValidationArgs /
 * StackValidationArgs (props wrapped in @pulumi/policy's own unknown-checking proxy, `notApplicable`
 * throwing, `getConfig` returning the policy's config) and collects what the policy reports.
 * Used by the unit tests beside each policy and by the property test on the real program.
 */
import type {
  PolicyProviderResource,
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import * as policyProxy from "@pulumi/policy/proxy";

// The analyzer wraps props in this proxy (it throws on values unknown during preview); it is marked
// @internal, so its declaration is not in the published typings.
const { unknownCheckingProxy } = policyProxy as unknown as { unknownCheckingProxy: <T extends object>(o: T) => T };

export interface ResourceCase {
  type: string;
  props: Record<string, unknown>;
  /** Pulumi resource name (default "test"). */
  name?: string;
  /** The explicit provider the resource is created with, e.g. a docker provider with `host`. */
  provider?: { props: Record<string, unknown>; name?: string; type?: string };
  parent?: string;
}

export interface PolicyOutcome {
  violations: string[];
  /** Set when the policy declared itself not applicable to the resource (or stack). */
  notApplicable?: string;
}

class NotApplicable extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

const stackTags: ReadonlyMap<string, string> = new Map();

function urnOf(c: ResourceCase): string {
  return `urn:pulumi:test::switchyard::${c.type}::${c.name ?? "test"}`;
}

function opts(c: ResourceCase): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
    parent: c.parent,
  };
}

function providerOf(c: ResourceCase): PolicyProviderResource | undefined {
  if (!c.provider) return undefined;
  const name = c.provider.name ?? "provider";
  const type = c.provider.type ?? "pulumi:providers:docker";
  return { type, name, props: unknownCheckingProxy(c.provider.props), urn: `urn:pulumi:test::switchyard::${type}::${name}` };
}

const typeOf = (cls: unknown): string | undefined => (cls as { __pulumiType?: string } | undefined)?.__pulumiType;

const throwNotApplicable = (reason?: string): never => {
  throw new NotApplicable(reason ?? "");
};

export function resourceArgs(c: ResourceCase, config: object = {}): ResourceValidationArgs {
  const props = unknownCheckingProxy(c.props) as Record<string, any>;
  const provider = providerOf(c);
  return {
    type: c.type,
    props,
    urn: urnOf(c),
    name: c.name ?? "test",
    opts: opts(c),
    ...(provider ? { provider } : {}),
    stackTags,
    isType: (cls) => typeOf(cls) === c.type,
    asType: ((cls: unknown) => (typeOf(cls) === c.type ? props : undefined)) as ResourceValidationArgs["asType"],
    getConfig: <T extends object>() => config as T,
    notApplicable: throwNotApplicable,
  };
}

/** Runs every validateResource function of `policy` on one resource. */
export async function runResourcePolicy(policy: ResourceValidationPolicy, c: ResourceCase, config: object = {}): Promise<PolicyOutcome> {
  const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  const outcome: PolicyOutcome = { violations: [] };
  for (const validate of validations) {
    try {
      await validate(resourceArgs(c, config), (message) => outcome.violations.push(message));
    } catch (e) {
      if (!(e instanceof NotApplicable)) throw e;
      outcome.notApplicable = e.reason;
    }
  }
  return outcome;
}

export interface StackViolation {
  message: string;
  urn?: string;
}

/** Runs a stack policy on a set of resources (parents resolved by URN as the engine does). */
export async function runStackPolicy(
  policy: StackValidationPolicy,
  cases: ResourceCase[],
  config: object = {},
): Promise<{ violations: StackViolation[]; notApplicable?: string }> {
  const resources: PolicyResource[] = cases.map((c) => {
    const a = resourceArgs(c, config);
    return {
      type: a.type,
      props: a.props,
      urn: a.urn,
      name: a.name,
      opts: a.opts,
      provider: a.provider,
      dependencies: [],
      propertyDependencies: {},
      isType: a.isType,
      asType: ((cls: unknown) => (typeOf(cls) === c.type ? a.props : undefined)) as PolicyResource["asType"],
    };
  });
  const args: StackValidationArgs = { resources, stackTags, getConfig: <T extends object>() => config as T, notApplicable: throwNotApplicable };
  const violations: StackViolation[] = [];
  try {
    await policy.validateStack(args, (message, urn) => violations.push({ message, urn }));
  } catch (e) {
    if (!(e instanceof NotApplicable)) throw e;
    return { violations, notApplicable: e.reason };
  }
  return { violations };
}

/** Every violation of every policy on every resource (resource policies) and on the whole set (stack policies). */
export async function runAllPolicies(
  policies: (ResourceValidationPolicy | StackValidationPolicy)[],
  cases: ResourceCase[],
): Promise<{ policy: string; resource?: string; message: string }[]> {
  const found: { policy: string; resource?: string; message: string }[] = [];
  for (const p of policies) {
    if ("validateStack" in p) {
      const r = await runStackPolicy(p, cases);
      for (const v of r.violations) found.push({ policy: p.name, resource: v.urn, message: v.message });
    } else {
      for (const c of cases) {
        const r = await runResourcePolicy(p, c);
        for (const message of r.violations) found.push({ policy: p.name, resource: `${c.type}::${c.name ?? "test"}`, message });
      }
    }
  }
  return found;
}
