/**
 * Resource type tokens and the few input shapes the policies read. The pack matches on type tokens rather
 * than importing @pulumi/docker and @pulumi/aws, so that its own package.json needs only @pulumi/policy and
 * @pulumi/pulumi and it loads quickly; the shapes below are the subset of each provider's inputs we use.
 */

export const TYPES = {
  container: "docker:index/container:Container",
  remoteImage: "docker:index/remoteImage:RemoteImage",
  builtImage: "docker:index/image:Image",
  instance: "aws:ec2/instance:Instance",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
  securityGroupIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
} as const;

export interface ContainerPortInput {
  internal?: number;
  external?: number;
  ip?: string;
  protocol?: string;
}

export interface ContainerInputs {
  name?: string;
  image?: string;
  command?: string[];
  entrypoints?: string[];
  envs?: string[];
  ports?: ContainerPortInput[];
  networkMode?: string;
  restart?: string;
  healthcheck?: { tests?: string[] };
  attach?: boolean;
  rm?: boolean;
  labels?: { label?: string; value?: string }[];
  privileged?: boolean;
  pidMode?: string;
  ipcMode?: string;
  user?: string;
  capabilities?: { adds?: string[]; drops?: string[] };
  securityOpts?: string[];
  readOnly?: boolean;
  volumes?: { hostPath?: string; containerPath?: string; readOnly?: boolean; volumeName?: string }[];
  mounts?: { type?: string; source?: string; target?: string; readOnly?: boolean }[];
  uploads?: { file?: string; content?: string; permissions?: string; executable?: boolean }[];
}

/** A resource as a policy sees it, resource or stack validation alike. */
export interface SeenResource {
  type: string;
  name: string;
  props: Record<string, any>;
}

/** A short, stable label for messages: the container/image name when set, else the Pulumi resource name. */
export function describeContainer(name: string, props: ContainerInputs): string {
  return props.name && props.name !== name ? `container "${props.name}" (resource ${name})` : `container "${name}"`;
}

/** Interface addresses that mean "every interface of the host" for a published port or a listener. */
export function isAllInterfaces(ip: string | undefined): boolean {
  if (ip === undefined || ip === null) return true;
  const v = ip.trim().replace(/^\[|\]$/g, "");
  return v === "" || v === "0.0.0.0" || v === "::" || v === "::0" || v === "0:0:0:0:0:0:0:0";
}

/**
 * Whether an error is @pulumi/policy's "value unknown during preview" (thrown by the props proxy when a
 * policy reads an input computed from another resource that does not exist yet). The class is internal to
 * @pulumi/policy, so it is recognised by name.
 */
export function isUnknownDuringPreview(e: unknown): boolean {
  return e instanceof Error && e.constructor.name === "UnknownValueError";
}

/** Pulumi's wire form of a secret value ({"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value}). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/**
 * The value with secrets unwrapped, at any depth. Policies check the shape of uploads and environments the
 * program marks secret (key files, credentials); how a secret arrives depends on who runs the pack (the
 * engine's analyzer hands plain values, the SDK's mocks the wire form), so both are read alike.
 */
export function plain(v: unknown): any {
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (SECRET_SIG in o) return plain(o.value);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}
