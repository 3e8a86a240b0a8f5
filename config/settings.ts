/**
 * Every setting of a switchyard stack, in one table: key, type, default and description. Pulumi.yaml's
 * `config:` schema and README's config reference are kept equal to this table by a unit test.
 * Keys are flat dotted names in the project namespace: `pulumi config set backend.version v2` sets
 * `switchyard:backend.version`. (A structured value set with `--path` is read too, see load.ts.)
 */

import { DEFAULT_ROOT } from "../lib/etcd/keys";

export type SettingType = "string" | "integer" | "boolean" | "array";

export interface SettingSpec {
  key: string;
  type: SettingType;
  /** Omitted for settings that have no default (required on some targets, or optional). */
  default?: string | number | boolean | string[];
  description: string;
  /** For arrays: what each entry is (default "string"); `services` holds objects. */
  items?: "string" | "object";
  /** Settings read only on that target. */
  target?: "aws" | "hosts";
}

export const SETTINGS: SettingSpec[] = [
  { key: "target", type: "string", default: "docker", description: "Where to deploy: docker (the local daemon, or DOCKER_HOST), hosts (machines you already have, see hosts.machines) or aws (four EC2 hosts)." },
  { key: "root", type: "string", default: DEFAULT_ROOT, description: "etcd key prefix under which services and gateway status live." },
  { key: "baseImage", type: "string", default: "debian:bookworm-slim", description: "Base image of the gateway, registrator and backend images built by the program." },
  { key: "platform", type: "string", description: "Platform of the images the program builds, e.g. linux/arm64. Default: the Docker host's own platform." },
  { key: "docker.host", type: "string", description: "Docker daemon address for the docker target (default: DOCKER_HOST or the local socket)." },
  { key: "docker.publicBindIp", type: "string", default: "0.0.0.0", description: "Interface the gateway port is published on (docker target); the stats page and metrics stay on 127.0.0.1." },
  { key: "etcd.members", type: "integer", default: 3, description: "Number of etcd members: an odd number, 3 or more to survive a member loss (1 only for experiments)." },
  { key: "etcd.image", type: "string", default: "gcr.io/etcd-development/etcd:v3.5.17", description: "etcd image (members and proxy). Pin a tag or a digest." },
  { key: "etcd.proxyPort", type: "integer", default: 2379, description: "Port of the etcd proxy, published on 127.0.0.1 (docker) or to aws.operatorCidr (aws)." },
  { key: "etcd.callTimeoutMs", type: "integer", default: 5000, description: "Deadline of every etcd call made by switchyard clients, in milliseconds." },
  { key: "etcd.tls", type: "boolean", description: "TLS on etcd: per-stack CA, https client and peer URLs, client-certificate identities and RBAC (see README \"Security model\"). Default: false on docker, true on aws." },
  { key: "gateway.kind", type: "string", default: "nginx", description: "Gateway proxy: nginx or haproxy." },
  { key: "gateway.port", type: "integer", default: 8000, description: "Port clients use to reach the services through the gateway." },
  { key: "gateway.statsPort", type: "integer", default: 1936, description: "Port of the haproxy stats page (nginx: status and metrics), published for the operator only." },
  { key: "gateway.metricsPort", type: "integer", default: 9100, description: "Port of the gateway agent's /healthz and /metrics, published for the operator only." },
  { key: "backend.service", type: "string", default: "app", description: "Name of the service the program deploys (the etcd key segment)." },
  { key: "backend.version", type: "string", default: "v1", description: "Version of the backend: change it and run `pulumi up` for a blue-green switchover." },
  { key: "backend.replicas", type: "integer", default: 2, description: "Backend containers per backend host." },
  { key: "backend.port", type: "integer", default: 8080, description: "Port the backend listens on inside its container." },
  { key: "backend.image", type: "string", default: "", description: "Backend image; empty builds the demo service. Any HTTP image works." },
  { key: "backend.healthPath", type: "string", default: "/healthz", description: "Path the gateways probe for backend health." },
  { key: "backend.env", type: "array", default: [], description: "Extra environment of the backend containers, as NAME=value entries." },
  { key: "services", type: "array", items: "object", default: [], description: "Services to deploy, one entry each: {name, version, image, replicas, port, healthPath, env, hosts, default, sticky, adoptRoute}; a field left out takes its backend.* setting. Empty: the one service that backend.* describe, which is the default service." },
  { key: "registrator.ttlSeconds", type: "integer", default: 15, description: "Lease TTL of registrator keys: how long keys outlive a dead registrator." },
  { key: "registrator.metricsPort", type: "integer", default: 9102, description: "Port of the registrator's /healthz and /metrics, published for the operator only." },
  { key: "switch.gateTimeoutSeconds", type: "integer", default: 120, description: "How long an upstream change waits for every gateway to route to a healthy endpoint before rolling back." },
  { key: "hosts.machines", type: "array", default: [], target: "hosts", description: "Machines of the hosts target, one entry each: 'name=<name> address=<address others reach it at> docker=<ssh://user@host or tcp://host:port> [roles=etcd,gateway,backend]'. No roles on any machine: automatic placement as on aws." },
  { key: "hosts.sshOpts", type: "array", default: [], target: "hosts", description: "Extra ssh options for ssh:// Docker endpoints of the hosts target, e.g. [\"-i\", \"/home/me/.ssh/lab\"]." },
  { key: "aws.region", type: "string", target: "aws", description: "AWS region, e.g. eu-west-1 (aws target)." },
  { key: "aws.operatorCidr", type: "string", target: "aws", description: "CIDR allowed to reach ssh and the etcd proxy, e.g. 203.0.113.7/32. Required on aws; never world-open." },
  { key: "aws.publicCidr", type: "string", default: "0.0.0.0/0", target: "aws", description: "CIDR allowed to reach the gateway port (aws target)." },
  { key: "aws.backendHosts", type: "integer", default: 2, target: "aws", description: "Number of backend hosts (aws target)." },
  { key: "aws.instanceType", type: "string", default: "t3.small", target: "aws", description: "EC2 instance type of every host (aws target)." },
  { key: "aws.ami", type: "string", default: "", target: "aws", description: "AMI id of every host; empty looks up the newest official Debian 12 amd64 image (aws target)." },
  { key: "aws.sshUser", type: "string", default: "admin", target: "aws", description: "Login user of the AMI: admin on Debian, ec2-user on Amazon Linux (aws target)." },
];

/** A setting's default, for components that need it without reading config: one source for every default. */
export function settingDefault<T extends string | number | boolean | string[]>(key: string): T {
  const spec = SETTINGS.find((s) => s.key === key);
  if (!spec || spec.default === undefined) throw new Error(`setting ${key} has no default in config/settings.ts`);
  return spec.default as T;
}
