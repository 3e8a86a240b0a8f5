/**
 * Turns the raw text of a stack's config into a typed, defaulted, validated StackConfig — or one error that
 * lists every problem, each naming the setting, the bad value and the fix. Pure: no Pulumi, no I/O, so every
 * rule is unit-tested, and index.ts calls it before declaring any resource.
 */
import { nameProblem, normalizeRoot, rootProblem } from "../lib/etcd/keys";
import { parseMachines } from "../targets/hosts-config";
import type { HostMachine } from "../targets/hosts";
import { parseServices, type ServiceConfig } from "./services";
import { SETTINGS, type SettingSpec } from "./settings";

export interface StackConfig {
  project: string;
  stack: string;
  /** Prefix of every Docker object and resource name: "<project>-<stack>". */
  prefix: string;
  target: "docker" | "hosts" | "aws";
  root: string;
  baseImage: string;
  /** Platform of built images ("linux/arm64"); undefined: each Docker host's own. */
  platform?: string;
  docker: { host?: string; publicBindIp: string };
  /** tls: per-stack CA, https, client-certificate identities and RBAC (see components/etcd/pki.ts). */
  etcd: { members: number; image: string; proxyPort: number; callTimeoutMs: number; tls: boolean };
  gateway: { kind: "nginx" | "haproxy"; port: number; statsPort: number; metricsPort: number };
  backend: { service: string; version: string; replicas: number; port: number; image?: string; healthPath: string; env: string[] };
  /** The services to deploy: `services`, or the one service of `backend.*` (see config/services.ts). */
  services: ServiceConfig[];
  registrator: { ttlSeconds: number; metricsPort: number };
  switch: { gateTimeoutSeconds: number };
  hosts?: { machines: HostMachine[]; sshOpts: string[] };
  aws?: { region: string; operatorCidr: string; publicCidr: string; backendHosts: number; instanceType: string; ami: string; sshUser: string };
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid switchyard configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

/** Docker's tag grammar: what a version must be to appear in image tags and container names. */
export const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** registry/name[:tag][@sha256:digest] */
const IMAGE_REF = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*(?::\d+)?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;
/** os/arch[/variant], as `docker build --platform` takes it. */
const PLATFORM = /^[a-z0-9]+\/[a-z0-9_]+(?:\/[a-z0-9]+)?$/;
const AWS_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;

export function imageRefProblem(ref: string): string | undefined {
  if (!ref) return "is empty";
  if (!IMAGE_REF.test(ref)) return `'${ref}' is not an image reference (registry/name:tag or name@sha256:digest)`;
  return undefined;
}

/** Returns a problem, or undefined for a valid IPv4 CIDR such as 203.0.113.7/32. */
export function cidrProblem(cidr: string): string | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr.trim());
  if (!m) return `'${cidr}' is not an IPv4 CIDR like 203.0.113.7/32`;
  const octets = m.slice(1, 5).map(Number);
  const bits = Number(m[5]);
  if (octets.some((o) => o > 255) || bits > 32) return `'${cidr}' has an octet over 255 or a prefix over /32`;
  const addr = ((octets[0] << 24) >>> 0) + (octets[1] << 16) + (octets[2] << 8) + octets[3];
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  if ((addr & ~mask) >>> 0 !== 0) return `'${cidr}' has host bits set; did you mean ${[(addr & mask) >>> 24, ((addr & mask) >>> 16) & 255, ((addr & mask) >>> 8) & 255, (addr & mask) & 255].join(".")}/${bits}?`;
  return undefined;
}

type Raw = Record<string, string | undefined>;

/** Parses the raw text of each setting by its declared type; collects problems instead of throwing. */
function parseAll(raw: Raw, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const known = new Set(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(raw)) {
    if (!known.has(key) && raw[key] !== undefined) {
      const close = SETTINGS.find((s) => s.key.toLowerCase() === key.toLowerCase() || s.key.endsWith(`.${key}`));
      problems.push(`switchyard:${key} is not a switchyard setting${close ? `; did you mean ${close.key}?` : ""} (see README "Configuration reference")`);
    }
  }
  // A list of objects (services) keeps its text: its own parser names each entry's problems.
  for (const spec of SETTINGS) out[spec.key] = spec.items === "object" ? raw[spec.key] : parseOne(spec, raw[spec.key], problems);
  return out;
}

function parseOne(spec: SettingSpec, text: string | undefined, problems: string[]): unknown {
  if (text === undefined) return spec.default;
  const bad = (why: string, fix: string) => {
    problems.push(`switchyard:${spec.key} = ${JSON.stringify(text)} ${why}; ${fix}`);
    return spec.default;
  };
  switch (spec.type) {
    case "string":
      return text;
    case "integer":
      if (!/^-?\d+$/.test(text.trim())) return bad("is not a whole number", `set a number, e.g. pulumi config set ${spec.key} ${String(spec.default ?? 1)}`);
      return Number(text);
    case "boolean":
      if (!/^(true|false)$/i.test(text.trim())) return bad("is not true or false", `pulumi config set ${spec.key} true`);
      return /^true$/i.test(text.trim());
    case "array": {
      try {
        const v = JSON.parse(text) as unknown;
        if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v;
      } catch {
        /* fall through */
      }
      return bad("is not a list of strings", `pulumi config set --path '${spec.key}[0]' a.b.com, or set it to a JSON list like ["a.b.com"]`);
    }
  }
}

export function validateConfig(raw: Raw, project: string, stack: string): StackConfig {
  const problems: string[] = [];
  const v = parseAll(raw, problems);
  const s = (k: string) => v[k] as string;
  const n = (k: string) => v[k] as number;
  const set = (k: string, example: string) => `pulumi config set ${k} ${example}`;

  const target = s("target");
  if (target !== "docker" && target !== "hosts" && target !== "aws") problems.push(`switchyard:target = '${target}' is unknown; use docker, hosts or aws (${set("target", "docker")})`);

  const rootIssue = rootProblem(s("root"));
  if (rootIssue) problems.push(`switchyard:root ${rootIssue} (${set("root", "/switchyard")})`);
  for (const k of ["baseImage", "etcd.image"]) {
    const p = imageRefProblem(s(k));
    if (p) problems.push(`switchyard:${k} ${p}; ${set(k, String(SETTINGS.find((x) => x.key === k)!.default))}`);
  }
  if (s("platform") && !PLATFORM.test(s("platform"))) {
    problems.push(`switchyard:platform = '${s("platform")}' is not a platform (os/arch[/variant], e.g. linux/arm64); ${set("platform", "linux/amd64")}, or remove it to build for the Docker host's own platform`);
  }
  if (s("backend.image")) {
    const p = imageRefProblem(s("backend.image"));
    if (p) problems.push(`switchyard:backend.image ${p}; use e.g. myrepo/app:1.2.3, or leave it empty for the demo service`);
  }

  const members = n("etcd.members");
  if (!(members >= 1 && members % 2 === 1)) {
    problems.push(`switchyard:etcd.members = ${members} must be a positive odd number: etcd needs a majority of members, and an even count adds a member without adding fault tolerance; ${set("etcd.members", "3")}`);
  }
  if (members > 9) problems.push(`switchyard:etcd.members = ${members} is more than 9; etcd clusters of 3 or 5 are the norm (${set("etcd.members", "5")})`);

  for (const k of ["etcd.proxyPort", "gateway.port", "gateway.statsPort", "gateway.metricsPort", "registrator.metricsPort", "backend.port"]) {
    const p = n(k);
    if (!(Number.isInteger(p) && p >= 1 && p <= 65535)) problems.push(`switchyard:${k} = ${p} is not a TCP port (1-65535); ${set(k, String(SETTINGS.find((x) => x.key === k)!.default))}`);
  }
  const published = ["etcd.proxyPort", "gateway.port", "gateway.statsPort", "gateway.metricsPort", "registrator.metricsPort"];
  for (let i = 0; i < published.length; i++) {
    for (let j = i + 1; j < published.length; j++) {
      if (n(published[i]) === n(published[j])) {
        problems.push(`switchyard:${published[i]} and switchyard:${published[j]} are both ${n(published[i])}; published ports must differ (change one of them)`);
      }
    }
  }

  const kind = s("gateway.kind");
  if (kind !== "nginx" && kind !== "haproxy") problems.push(`switchyard:gateway.kind = '${kind}' is unknown; use nginx or haproxy (${set("gateway.kind", "haproxy")})`);

  const svcIssue = nameProblem("service", s("backend.service"));
  if (svcIssue) problems.push(`switchyard:backend.service: ${svcIssue} (${set("backend.service", "app")})`);
  const version = s("backend.version");
  const versionProblem = (v: string) => (IMAGE_TAG.test(v) ? undefined : "not a valid image tag: letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-'");
  if (versionProblem(version)) {
    problems.push(`switchyard:backend.version = '${version}' is not a valid image tag (letters, digits, '_', '.', '-'; at most 128; not starting with '.' or '-'); ${set("backend.version", "v2")}`);
  }
  const hp = s("backend.healthPath");
  if (!hp.startsWith("/")) problems.push(`switchyard:backend.healthPath = '${hp}' must start with '/'; ${set("backend.healthPath", "/healthz")}`);
  for (const e of v["backend.env"] as string[]) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(e)) problems.push(`switchyard:backend.env contains '${e}', which is not NAME=value (e.g. LOG_LEVEL=debug)`);
  }
  const services = parseServices(
    v["services"] as string | undefined,
    // Pulumi passes Pulumi.yaml's defaults as set values: only a backend.service other than its default is "set".
    { service: s("backend.service"), serviceSet: s("backend.service") !== SETTINGS.find((x) => x.key === "backend.service")!.default },
    { version, replicas: n("backend.replicas"), port: n("backend.port"), healthPath: hp, env: v["backend.env"] as string[], ...(s("backend.image") ? { image: s("backend.image") } : {}) },
    { versionProblem, imageProblem: imageRefProblem },
    problems,
  );
  const positive: [string, number, number][] = [["backend.replicas", 1, 20], ["registrator.ttlSeconds", 2, 300], ["switch.gateTimeoutSeconds", 5, 3600], ["etcd.callTimeoutMs", 100, 120000]];
  for (const [k, lo, hi] of positive) {
    if (!(n(k) >= lo && n(k) <= hi)) problems.push(`switchyard:${k} = ${n(k)} is outside ${lo}-${hi}; ${set(k, String(SETTINGS.find((x) => x.key === k)!.default))}`);
  }
  const bindIp = s("docker.publicBindIp");
  if (!/^(\d{1,3}\.){3}\d{1,3}$/.test(bindIp)) problems.push(`switchyard:docker.publicBindIp = '${bindIp}' is not an IPv4 address; use 0.0.0.0 (all interfaces) or 127.0.0.1 (this machine only)`);

  // On by default where etcd crosses a real network (aws); a setting on docker, where it is tested.
  const acrossHosts = target === "aws" || target === "hosts";
  const tls = (v["etcd.tls"] as boolean | undefined) ?? acrossHosts;
  if (acrossHosts && !tls) problems.push(`switchyard:etcd.tls = false is not allowed on the ${target} target: etcd would be open to anyone on the hosts' network; pulumi config set etcd.tls true`);

  let hosts: StackConfig["hosts"];
  if (target === "hosts") {
    const parsed = parseMachines(v["hosts.machines"] as string[], members);
    problems.push(...parsed.problems);
    hosts = { machines: parsed.machines, sshOpts: v["hosts.sshOpts"] as string[] };
  }

  let aws: StackConfig["aws"];
  if (target === "aws") {
    const region = s("aws.region");
    const op = s("aws.operatorCidr");
    const pub = s("aws.publicCidr");
    if (!region) problems.push(`switchyard:aws.region is required on the aws target; ${set("aws.region", "eu-west-1")}`);
    else if (!AWS_REGION.test(region)) problems.push(`switchyard:aws.region = '${region}' is not an AWS region name like eu-west-1`);
    if (!op) problems.push(`switchyard:aws.operatorCidr is required on the aws target (who may reach ssh and etcd); ${set("aws.operatorCidr", "$(curl -s https://checkip.amazonaws.com)/32")}`);
    else {
      const p = cidrProblem(op);
      if (p) problems.push(`switchyard:aws.operatorCidr ${p}`);
      else if (op.endsWith("/0")) problems.push(`switchyard:aws.operatorCidr = '${op}' opens ssh and etcd to the whole internet; set your own address, e.g. 203.0.113.7/32`);
    }
    const pp = cidrProblem(pub);
    if (pp) problems.push(`switchyard:aws.publicCidr ${pp}`);
    if (!(n("aws.backendHosts") >= 1 && n("aws.backendHosts") <= 20)) problems.push(`switchyard:aws.backendHosts = ${n("aws.backendHosts")} is outside 1-20`);
    // Members run on distinct hosts (etcd, backend-1, backend-2, ...): losing one host must cost one member.
    const hostsForEtcd = 1 + n("aws.backendHosts");
    if (Number.isInteger(members) && members > hostsForEtcd) {
      problems.push(`switchyard:aws.backendHosts = ${n("aws.backendHosts")} gives ${hostsForEtcd} hosts for ${members} etcd members, which must run on distinct hosts (etcd, backend-1, backend-2, ...); ${set("aws.backendHosts", String(members - 1))}`);
    }
    const ami = s("aws.ami");
    if (ami && !/^ami-[0-9a-f]{8,17}$/.test(ami)) problems.push(`switchyard:aws.ami = '${ami}' is not an AMI id like ami-0123456789abcdef0; leave it empty for the newest Debian 12 image`);
    const sshUser = s("aws.sshUser");
    if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(sshUser)) problems.push(`switchyard:aws.sshUser = '${sshUser}' is not a login name; ${set("aws.sshUser", "admin")}`);
    aws = { region, operatorCidr: op, publicCidr: pub, backendHosts: n("aws.backendHosts"), instanceType: s("aws.instanceType"), ami, sshUser };
  }
  if (!project || !stack) problems.push("the Pulumi project and stack names must not be empty");

  if (problems.length) throw new ConfigError(problems);
  return {
    project,
    stack,
    prefix: `${project}-${stack}`.toLowerCase().replace(/[^a-z0-9_.-]/g, "-"),
    target: target as StackConfig["target"],
    root: normalizeRoot(s("root")),
    baseImage: s("baseImage"),
    ...(s("platform") ? { platform: s("platform") } : {}),
    docker: { ...(s("docker.host") ? { host: s("docker.host") } : {}), publicBindIp: bindIp },
    etcd: { members, image: s("etcd.image"), proxyPort: n("etcd.proxyPort"), callTimeoutMs: n("etcd.callTimeoutMs"), tls },
    gateway: { kind: kind as StackConfig["gateway"]["kind"], port: n("gateway.port"), statsPort: n("gateway.statsPort"), metricsPort: n("gateway.metricsPort") },
    backend: {
      service: s("backend.service"),
      version,
      replicas: n("backend.replicas"),
      port: n("backend.port"),
      ...(s("backend.image") ? { image: s("backend.image") } : {}),
      healthPath: hp,
      env: v["backend.env"] as string[],
    },
    services,
    registrator: { ttlSeconds: n("registrator.ttlSeconds"), metricsPort: n("registrator.metricsPort") },
    switch: { gateTimeoutSeconds: n("switch.gateTimeoutSeconds") },
    ...(hosts ? { hosts } : {}),
    ...(aws ? { aws } : {}),
  };
}
