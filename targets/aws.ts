/**
 * The aws target: EC2 hosts `etcd`, `gateway`, `backend-1..N` in one VPC, each a Docker host reached over
 * ssh. Components receive these hosts exactly as they receive the docker target's single host.
 *
 * Reachability is decided by one security group (see `securityGroupRules`), not by bind addresses alone:
 *  - "internal" ports are published on the host's private IP, at a per-container host port (aws-ports.ts),
 *    and the group lets its own members reach any TCP port of each other (etcd peers and clients, the proxy,
 *    the gateway dialing backends, hand-started containers a registrator registers);
 *  - "operator" ports (the etcd proxy, agent metrics) are published on the private IP too: traffic to the
 *    public IP arrives at the private IP (EC2 maps it 1:1), and the group admits only aws.operatorCidr, for
 *    ssh and the proxy port. Metrics ports are not opened to the operator: reach them through `ssh -L`.
 *    Binding the private IP rather than 0.0.0.0 keeps them off docker0 and any other interface;
 *  - "public" ports (the gateway, its stats page) are published on 0.0.0.0 and opened to aws.publicCidr.
 */
import * as aws from "@pulumi/aws";
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import path from "node:path";
import type { HostRole, Topology } from "./host";
import { placeOnMachines, type Machine } from "./machines";
import { placeOrThrow, type Placement } from "./placement";

/** Debian's official AMI account and name pattern (https://wiki.debian.org/Cloud/AmazonEC2Image/Bookworm). */
export const DEBIAN_AMI_OWNER = "136693071363";
export const DEBIAN_12_AMI_NAME = "debian-12-amd64-*";

export const VPC_CIDR = "10.42.0.0/16";
export const SUBNET_CIDR = "10.42.1.0/24";

export interface AwsTargetArgs {
  prefix: string;
  region: string;
  operatorCidr: string;
  publicCidr: string;
  backendHosts: number;
  instanceType: string;
  /** An AMI id; empty looks up the newest Debian 12 amd64 image. */
  ami: string;
  /** Login user of the AMI ("admin" on Debian, "ec2-user" on Amazon Linux). */
  sshUser: string;
  etcdMembers: number;
  /** Ports opened to the operator and the public (besides ssh). */
  ports: { etcdProxy: number; gateway: number; gatewayStats: number };
}

/** The aws layout's machines: `etcd`, `gateway`, `backend-1..N`. */
export function awsMachineNames(backendHosts: number): string[] {
  return ["etcd", "gateway", ...Array.from({ length: backendHosts }, (_, i) => `backend-${i + 1}`)];
}

/**
 * What runs where: the shared placement (placement.ts) of these machines, automatic, so etcd members go on
 * `etcd`, then `backend-1`, `backend-2`, ... Pure.
 */
export function awsPlacement(backendHosts: number, etcdMembers: number): Placement {
  return placeOrThrow(awsMachineNames(backendHosts).map((name) => ({ name })), etcdMembers, "aws.backendHosts");
}

export interface IngressRuleSpec {
  description: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  cidrBlocks?: string[];
  self?: boolean;
}

/** The security group's ingress rules. Pure, so the test can compare them exactly. */
export function securityGroupRules(a: Pick<AwsTargetArgs, "operatorCidr" | "publicCidr" | "ports">): IngressRuleSpec[] {
  return [
    // etcd client (2379) and peer (2380) traffic, the proxy's internal port and the backends, published at
    // per-container ports on the private IPs: only between the stack's own hosts.
    { description: "stack hosts to each other (etcd peers and clients, proxy, backends)", protocol: "tcp", fromPort: 0, toPort: 65535, self: true },
    { description: "ssh from the operator", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [a.operatorCidr] },
    { description: "etcd proxy from the operator (pulumi up, etcdctl; TLS with client certificates)", protocol: "tcp", fromPort: a.ports.etcdProxy, toPort: a.ports.etcdProxy, cidrBlocks: [a.operatorCidr] },
    { description: "gateway", protocol: "tcp", fromPort: a.ports.gateway, toPort: a.ports.gateway, cidrBlocks: [a.publicCidr] },
    // The stats page shows service and endpoint names, health and traffic: the operator's, not the public's.
    { description: "gateway stats page from the operator", protocol: "tcp", fromPort: a.ports.gatewayStats, toPort: a.ports.gatewayStats, cidrBlocks: [a.operatorCidr] },
  ];
}

/** cloud-init user data: install and start Docker, let the login user use it. Works on Debian and Amazon Linux. */
export function userData(sshUser: string): string {
  return [
    "#!/bin/sh",
    "set -eu",
    "if command -v apt-get >/dev/null; then",
    "  export DEBIAN_FRONTEND=noninteractive",
    "  apt-get update -q && apt-get install -y -q docker.io",
    "else",
    "  dnf install -y -q docker",
    "fi",
    "systemctl enable --now docker",
    `usermod -aG docker ${sshUser}`,
    "",
  ].join("\n");
}

/** What the wait command runs on a fresh host: cloud-init finished, then the Docker daemon answers. */
export const WAIT_FOR_DOCKER = "cloud-init status --wait >/dev/null || true; for i in $(seq 1 90); do sudo docker info >/dev/null 2>&1 && exit 0; sleep 2; done; echo 'docker did not start; see /var/log/cloud-init-output.log' >&2; exit 1";

export interface AwsHostInfo {
  name: string;
  roles: HostRole[];
  publicIp: pulumi.Output<string>;
  privateIp: pulumi.Output<string>;
  instance: aws.ec2.Instance;
}

export class AwsTarget extends pulumi.ComponentResource {
  readonly topology: Topology;
  readonly instances: AwsHostInfo[];
  readonly securityGroup: aws.ec2.SecurityGroup;
  /** Where the generated private key is written on the operator's machine (ssh, the docker provider). */
  readonly keyFile: string;

  constructor(name: string, args: AwsTargetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:target:Aws", name, {}, opts);
    const placement = awsPlacement(args.backendHosts, args.etcdMembers);
    const awsProvider = new aws.Provider(`${name}-aws`, {
      region: args.region as aws.Region,
      defaultTags: { tags: { "switchyard:stack": args.prefix } },
    }, { parent: this });
    const o = { parent: this, provider: awsProvider };
    const tags = (n: string) => ({ Name: `${args.prefix}-${n}` });

    const vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: VPC_CIDR, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") }, o);
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: tags("igw") }, o);
    const subnet = new aws.ec2.Subnet(`${name}-subnet`, { vpcId: vpc.id, cidrBlock: SUBNET_CIDR, mapPublicIpOnLaunch: true, tags: tags("public") }, o);
    const routes = new aws.ec2.RouteTable(`${name}-routes`, { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: tags("public") }, o);
    new aws.ec2.RouteTableAssociation(`${name}-routes-public`, { subnetId: subnet.id, routeTableId: routes.id }, o);

    this.securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
      name: `${args.prefix}-hosts`,
      description: `switchyard ${args.prefix}: stack hosts`,
      vpcId: vpc.id,
      ingress: securityGroupRules(args),
      egress: [{ description: "all outbound (packages, images)", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
      tags: tags("hosts"),
    }, o);

    // One key for every host: the operator's ssh and the docker providers (ssh://) use it.
    const key = new tls.PrivateKey(`${name}-ssh-key`, { algorithm: "ED25519" }, { parent: this });
    const keyPair = new aws.ec2.KeyPair(`${name}-key-pair`, { keyName: `${args.prefix}-hosts`, publicKey: key.publicKeyOpenssh }, o);
    // ssh (and so the docker provider's ssh:// transport) reads keys from files: write it, mode 600.
    this.keyFile = path.resolve(".pulumi-state", "ssh", `${args.prefix}-id_ed25519`);
    const keyOnDisk = new command.local.Command(`${name}-ssh-key-file`, {
      create: `umask 077 && mkdir -p "$(dirname "$KEY_FILE")" && printf '%s' "$PRIVATE_KEY" > "$KEY_FILE"`,
      delete: `rm -f "$KEY_FILE"`,
      environment: { KEY_FILE: this.keyFile, PRIVATE_KEY: key.privateKeyOpenssh },
    }, { parent: this });

    const ami = args.ami
      ? pulumi.output(args.ami)
      : aws.ec2.getAmiOutput({
          mostRecent: true,
          owners: [DEBIAN_AMI_OWNER],
          filters: [
            { name: "name", values: [DEBIAN_12_AMI_NAME] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
          ],
        }, { parent: this, provider: awsProvider }).id;

    const sshOpts = ["-i", this.keyFile, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=20"];
    this.instances = [];
    const machines: Machine[] = [];
    for (const spec of placement.hosts) {
      const instance = new aws.ec2.Instance(`${name}-${spec.name}`, {
        ami,
        instanceType: args.instanceType,
        subnetId: subnet.id,
        vpcSecurityGroupIds: [this.securityGroup.id],
        keyName: keyPair.keyName,
        associatePublicIpAddress: true,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
        rootBlockDevice: { encrypted: true, volumeSize: 20, volumeType: "gp3" },
        userData: userData(args.sshUser),
        userDataReplaceOnChange: true,
        tags: { ...tags(spec.name), "switchyard:roles": spec.roles.join(",") },
      }, { ...o, dependsOn: [routes] });
      const ready = new command.remote.Command(`${name}-${spec.name}-docker-ready`, {
        connection: { host: instance.publicIp, user: args.sshUser, privateKey: key.privateKeyOpenssh },
        create: WAIT_FOR_DOCKER,
        triggers: [instance.id],
      }, { parent: this, dependsOn: [instance] });
      const provider = new docker.Provider(`${name}-${spec.name}-docker`, {
        host: pulumi.interpolate`ssh://${args.sshUser}@${instance.publicIp}`,
        sshOpts,
      }, { parent: this, dependsOn: [ready, keyOnDisk] });
      this.instances.push({ name: spec.name, roles: spec.roles, publicIp: instance.publicIp, privateIp: instance.privateIp, instance });
      // Peers dial each other at private IPs; the operator and clients come in at the public IP.
      machines.push({ name: spec.name, provider, address: instance.privateIp, externalAddress: instance.publicIp });
    }
    // From here on the same path as machines the user already has (the hosts target).
    this.topology = placeOnMachines(this, name, args.prefix, machines, placement);
    this.registerOutputs({ hosts: this.hostsOutput(args.sshUser) });
  }

  /** Each host with its roles, addresses and the ssh command to reach it. */
  hostsOutput(sshUser: string): pulumi.Output<{ name: string; roles: HostRole[]; publicIp: string; privateIp: string; ssh: string }[]> {
    return pulumi.all(this.instances.map((h) => pulumi.all([h.publicIp, h.privateIp]).apply(([publicIp, privateIp]) => ({
      name: h.name,
      roles: h.roles,
      publicIp,
      privateIp,
      ssh: `ssh -i ${this.keyFile} ${sshUser}@${publicIp}`,
    }))));
  }
}
