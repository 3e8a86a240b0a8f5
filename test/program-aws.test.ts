/**
 * The program under mocks on the aws target, with the example stack file (Pulumi.aws.yaml): network, one
 * security group, four EC2 hosts each with its own docker provider over ssh, and the same components as on
 * docker placed on those hosts. AWS is never reached: the mocks return addresses derived from the names.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { SUBNET_CIDR } from "../targets/aws";
import { exampleAwsConfig } from "./aws-example-config";
import { runProgram, withoutGeneration, type CapturedResource, type ProgramRun } from "./helpers/pulumi-program";

const CONTAINER = "docker:index/container:Container";
const INSTANCE = "aws:ec2/instance:Instance";
const flagsOf = (c: CapturedResource) => Object.fromEntries((c.inputs.command as string[]).slice(1).filter((f) => f.startsWith("--")).map((f) => f.slice(2).split(/=(.*)/s).slice(0, 2)));
/** "<urn>::<id>" of a provider reference → the provider's resource name. */
const providerName = (r: CapturedResource) => r.provider?.split("::").slice(-2)[0];
const parentName = (r: CapturedResource) => (r.parent ? r.parent.split("::").slice(-1)[0] : "stack");
const hostOf = (r: CapturedResource) => providerName(r)?.replace(/^aws-(.*)-docker$/, "$1");

function addresses(run: ProgramRun): Record<string, { privateIp: string; publicIp: string }> {
  const hosts = run.outputs.hosts as { name: string; privateIp: string; publicIp: string }[];
  return Object.fromEntries(hosts.map((h) => [h.name, { privateIp: h.privateIp, publicIp: h.publicIp }]));
}

describe("the program on the aws target, example stack file", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram(exampleAwsConfig());
  }, 60_000);

  it("declares exactly the expected resources, each under its component", () => {
    const tree = run.resources.filter((r) => !r.type.startsWith("tls:")).map((r) => `${r.type} ${withoutGeneration(r.name)} <- ${parentName(r)}`).sort();
    const perHost = (h: string) => [
      `aws:ec2/instance:Instance aws-${h} <- aws`,
      `command:remote:Command aws-${h}-docker-ready <- aws`,
      `docker:index/network:Network aws-${h}-network <- aws`,
      `pulumi:providers:docker aws-${h}-docker <- aws`,
    ];
    expect(tree).toEqual([
      ...["etcd", "gateway", "backend-1", "backend-2"].flatMap(perHost),
      "aws:ec2/internetGateway:InternetGateway aws-igw <- aws",
      "aws:ec2/keyPair:KeyPair aws-key-pair <- aws",
      "aws:ec2/routeTable:RouteTable aws-routes <- aws",
      "aws:ec2/routeTableAssociation:RouteTableAssociation aws-routes-public <- aws",
      "aws:ec2/securityGroup:SecurityGroup aws-sg <- aws",
      "aws:ec2/subnet:Subnet aws-subnet <- aws",
      "aws:ec2/vpc:Vpc aws-vpc <- aws",
      "command:local:Command aws-ssh-key-file <- aws",
      "docker:index/container:Container app-v1-backend-1-0 <- app",
      "docker:index/container:Container app-v1-backend-1-1 <- app",
      "docker:index/container:Container app-v1-backend-2-0 <- app",
      "docker:index/container:Container app-v1-backend-2-1 <- app",
      "docker:index/container:Container etcd-0 <- etcd",
      "docker:index/container:Container etcd-1 <- etcd",
      "docker:index/container:Container etcd-2 <- etcd",
      "docker:index/container:Container etcd-proxy <- etcd-proxy",
      "docker:index/container:Container gateway <- gateway",
      "docker:index/container:Container registrator-backend-1 <- registrator",
      "docker:index/container:Container registrator-backend-2 <- registrator",
      "docker:index/image:Image app-image-backend-1 <- app",
      "docker:index/image:Image app-image-backend-2 <- app",
      "docker:index/image:Image gateway-image <- gateway",
      "docker:index/image:Image registrator-backend-1-image <- registrator",
      "docker:index/image:Image registrator-backend-2-image <- registrator",
      "docker:index/remoteImage:RemoteImage app-image-backend-1-base <- app",
      "docker:index/remoteImage:RemoteImage app-image-backend-2-base <- app",
      "docker:index/remoteImage:RemoteImage gateway-image-base <- gateway",
      "docker:index/remoteImage:RemoteImage registrator-backend-1-image-base <- registrator",
      "docker:index/remoteImage:RemoteImage registrator-backend-2-image-base <- registrator",
      "docker:index/remoteImage:RemoteImage etcd-image-backend-1 <- etcd",
      "docker:index/remoteImage:RemoteImage etcd-image-backend-2 <- etcd",
      "docker:index/remoteImage:RemoteImage etcd-image-etcd <- etcd",
      "docker:index/remoteImage:RemoteImage etcd-proxy-image-gateway <- etcd-proxy",
      "docker:index/volume:Volume etcd-0-data <- etcd",
      "docker:index/volume:Volume etcd-1-data <- etcd",
      "docker:index/volume:Volume etcd-2-data <- etcd",
      "pulumi-nodejs:dynamic/switchyard:EtcdAccess etcd-access <- stack",
      "pulumi-nodejs:dynamic/switchyard:Route app-route <- app",
      "pulumi-nodejs:dynamic/switchyard:Upstream app-v1-backend-1-0-upstream <- app",
      "pulumi-nodejs:dynamic/switchyard:Upstream app-v1-backend-1-1-upstream <- app",
      "pulumi-nodejs:dynamic/switchyard:Upstream app-v1-backend-2-0-upstream <- app",
      "pulumi-nodejs:dynamic/switchyard:Upstream app-v1-backend-2-1-upstream <- app",
      "pulumi:providers:aws aws-aws <- aws",
      "switchyard:backend:Backend app <- stack",
      "switchyard:etcd:EtcdCluster etcd <- stack",
      "switchyard:etcd:EtcdPki etcd-pki <- stack",
      "switchyard:etcd:EtcdProxy etcd-proxy <- stack",
      "switchyard:gateway:Gateway gateway <- stack",
      "switchyard:registrator:Registrator registrator <- stack",
      "switchyard:target:Aws aws <- stack",
    ].sort());
    // tls: the stack's etcd PKI (as on docker with etcd.tls) plus the hosts' ssh key.
    expect(run.byType("tls:index/privateKey:PrivateKey").map((r) => r.name)).toContain("aws-ssh-key");
    expect(run.one("tls:index/privateKey:PrivateKey", "aws-ssh-key").inputs.algorithm).toBe("ED25519");
    // Every AWS resource goes through the stack's provider, in the configured region.
    for (const r of run.resources.filter((x) => x.type.startsWith("aws:"))) expect(providerName(r), r.name).toBe("aws-aws");
    expect(run.one("pulumi:providers:aws", "aws-aws").inputs.region).toBe("eu-west-1");
  });

  it("places etcd members on three distinct hosts with consistent flags: https, peers at the hosts' private IPs", () => {
    const ips = addresses(run);
    const members = [0, 1, 2].map((i) => run.one(CONTAINER, `etcd-${i}`));
    expect(members.map(hostOf)).toEqual(["etcd", "backend-1", "backend-2"]);
    const flags = members.map(flagsOf);
    const cluster = flags[0]["initial-cluster"];
    for (const [i, f] of flags.entries()) {
      const host = ips[hostOf(members[i])!].privateIp;
      expect(f["initial-cluster"]).toBe(cluster);
      expect(f["initial-advertise-peer-urls"]).toMatch(new RegExp(`^https://${host.replace(/\./g, "\\.")}:\\d+$`));
      expect(f["advertise-client-urls"]).toMatch(new RegExp(`^https://${host.replace(/\./g, "\\.")}:\\d+$`));
      expect(cluster.split(",")).toContain(`etcd-${i}=${f["initial-advertise-peer-urls"]}`);
      // Listens on the container's ports; published on the private IP at the advertised ones.
      expect(f["listen-client-urls"]).toBe("https://0.0.0.0:2379");
      expect(f["listen-peer-urls"]).toBe("https://0.0.0.0:2380");
      expect(members[i].inputs.command).toContain("--client-cert-auth");
      expect(members[i].inputs.command).toContain("--peer-client-cert-auth");
      const advertised = (u: string) => Number(u.split(":").pop());
      expect(members[i].inputs.ports).toEqual([
        { internal: 2379, external: advertised(f["advertise-client-urls"]), ip: host },
        { internal: 2380, external: advertised(f["initial-advertise-peer-urls"]), ip: host },
      ]);
    }
    // The proxy dials the members where they advertise themselves.
    const proxyEndpoints = (run.one(CONTAINER, "etcd-proxy").inputs.command as string[]).find((f) => f.startsWith("--endpoints="))!;
    expect(proxyEndpoints).toBe(`--endpoints=${flags.map((f) => f["advertise-client-urls"].replace("https://", "")).join(",")}`);
  });

  it("member certificates name the private IP peers dial and the gateway's public IP the operator dials", () => {
    const ips = addresses(run);
    for (const [i, host] of ["etcd", "backend-1", "backend-2"].entries()) {
      const csr = run.one("tls:index/certRequest:CertRequest", `etcd-pki-etcd-${i}-csr`).inputs;
      expect(csr.ipAddresses).toEqual([ips[host].privateIp, "127.0.0.1", ips.gateway.publicIp]);
    }
    expect(run.outputs.etcdEndpoint).toBe(`https://${ips.gateway.publicIp}:2379`);
  });

  it("creates every container of a host through that host's provider, itself configured over ssh after Docker is ready", () => {
    const ips = addresses(run);
    const expectedHost: Record<string, string> = {
      "etcd-0": "etcd", "etcd-1": "backend-1", "etcd-2": "backend-2", "etcd-proxy": "gateway", gateway: "gateway",
      "registrator-backend-1": "backend-1", "registrator-backend-2": "backend-2",
      "app-v1-backend-1-0": "backend-1", "app-v1-backend-1-1": "backend-1", "app-v1-backend-2-0": "backend-2", "app-v1-backend-2-1": "backend-2",
    };
    const containers = run.byType(CONTAINER);
    expect(Object.fromEntries(containers.map((c) => [withoutGeneration(c.name), hostOf(c)]))).toEqual(expectedHost);
    for (const r of run.resources.filter((x) => x.type.startsWith("docker:index/"))) expect(providerName(r), r.name).toMatch(/^aws-(etcd|gateway|backend-\d)-docker$/);
    const keyFile = run.one("command:local:Command", "aws-ssh-key-file").inputs.environment.KEY_FILE as string;
    for (const h of ["etcd", "gateway", "backend-1", "backend-2"]) {
      const p = run.one("pulumi:providers:docker", `aws-${h}-docker`);
      expect(p.inputs.host).toBe(`ssh://admin@${ips[h].publicIp}`);
      expect(JSON.parse(p.inputs.sshOpts)).toEqual(expect.arrayContaining(["-i", keyFile]));
      expect(p.dependencies).toEqual(expect.arrayContaining([run.one("command:remote:Command", `aws-${h}-docker-ready`).urn, run.one("command:local:Command", "aws-ssh-key-file").urn]));
      const ready = run.one("command:remote:Command", `aws-${h}-docker-ready`);
      expect(ready.inputs.connection).toMatchObject({ host: ips[h].publicIp, user: "admin" });
      expect(ready.inputs.create).toMatch(/cloud-init status --wait.*docker info/);
    }
  });

  it("opens exactly: everything between the stack's hosts, ssh, the etcd proxy and the stats page to the operator, the gateway to the public", () => {
    const sg = run.one("aws:ec2/securityGroup:SecurityGroup", "aws-sg").inputs;
    const rules = (sg.ingress as Record<string, unknown>[]).map((r) => [r.protocol, r.fromPort, r.toPort, r.self ? "self" : (r.cidrBlocks as string[]).join(",")]);
    expect(rules).toEqual([
      ["tcp", 0, 65535, "self"],
      ["tcp", 22, 22, "203.0.113.7/32"],
      ["tcp", 2379, 2379, "203.0.113.7/32"],
      ["tcp", 8000, 8000, "0.0.0.0/0"],
      ["tcp", 1936, 1936, "203.0.113.7/32"],
    ]);
    expect(sg.egress).toEqual([expect.objectContaining({ protocol: "-1", cidrBlocks: ["0.0.0.0/0"] })]);
    // Only the gateway's public port is bound on all interfaces; the rest (the stats page too) only on the private IP.
    const allInterfaces = run.byType(CONTAINER).flatMap((c) => (c.inputs.ports ?? []).filter((p: { ip?: string }) => p.ip === "0.0.0.0").map((p: { internal: number }) => `${c.name}:${p.internal}`));
    expect(allInterfaces.sort()).toEqual(["gateway:8000"]);
  });

  it("hosts: IMDSv2, encrypted root volume, the looked-up Debian 12 AMI, the generated key and Docker from user data", () => {
    expect(run.byType(INSTANCE)).toHaveLength(4);
    for (const i of run.byType(INSTANCE)) {
      expect(i.inputs.metadataOptions.httpTokens).toBe("required");
      expect(i.inputs.rootBlockDevice.encrypted).toBe(true);
      expect(i.inputs.ami).toBe("ami-0mockdebian12");
      expect(i.inputs.instanceType).toBe("t3.small");
      expect(i.inputs.keyName).toBe("switchyard-dev-hosts");
      expect(i.inputs.userData).toMatch(/apt-get install -y -q docker.io[\s\S]*systemctl enable --now docker[\s\S]*usermod -aG docker admin/);
    }
    expect(run.one("aws:ec2/subnet:Subnet", "aws-subnet").inputs).toMatchObject({ cidrBlock: SUBNET_CIDR, mapPublicIpOnLaunch: true });
    expect(run.one("aws:ec2/routeTable:RouteTable", "aws-routes").inputs.routes).toEqual([expect.objectContaining({ cidrBlock: "0.0.0.0/0", gatewayId: "aws-igw-id" })]);
  });

  it("backends register at private IPs and per-container ports the gateway can dial", () => {
    const ips = addresses(run);
    for (const c of run.byType(CONTAINER).filter((x) => x.name.startsWith("app-"))) {
      const [p] = c.inputs.ports as { internal: number; external: number; ip: string }[];
      expect(p.ip).toBe(ips[hostOf(c)!].privateIp);
      expect(p.internal).toBe(8080);
      expect(p.external).toBeGreaterThanOrEqual(20000);
      expect(run.one("pulumi-nodejs:dynamic/switchyard:Upstream", `${c.name}-upstream`).inputs.value).toContain(`"addr":"${p.ip}:${p.external}"`);
    }
    const ports = run.byType(CONTAINER).filter((x) => withoutGeneration(x.name).startsWith("app-v1-backend-1")).map((c) => c.inputs.ports[0].external);
    expect(new Set(ports).size).toBe(2);
  });

  it("exports the public gateway and stats URLs and each host with roles, addresses and ssh command", () => {
    const ips = addresses(run);
    expect(run.outputs.gatewayUrl).toBe(`http://${ips.gateway.publicIp}:8000`);
    expect(run.outputs.statsUrl).toBe(`http://${ips.gateway.publicIp}:1936/`);
    const hosts = run.outputs.hosts as { name: string; roles: string[]; ssh: string; publicIp: string }[];
    expect(hosts.map((h) => [h.name, h.roles])).toEqual([["etcd", ["etcd"]], ["gateway", ["gateway"]], ["backend-1", ["etcd", "backend"]], ["backend-2", ["etcd", "backend"]]]);
    for (const h of hosts) expect(h.ssh).toMatch(new RegExp(`^ssh -i \\S+switchyard-dev-id_ed25519 admin@${h.publicIp.replace(/\./g, "\\.")}$`));
  });
});

describe("the aws target scales and validates", () => {
  it("aws.backendHosts=3 adds a host, a registrator and its backends", async () => {
    const run = await runProgram({ ...exampleAwsConfig(), "aws.backendHosts": "3" });
    expect(run.byType(INSTANCE).map((r) => r.name).sort()).toEqual(["aws-backend-1", "aws-backend-2", "aws-backend-3", "aws-etcd", "aws-gateway"]);
    expect(run.byType("pulumi:providers:docker")).toHaveLength(5);
    const names = run.byType(CONTAINER).map((c) => withoutGeneration(c.name));
    expect(names).toEqual(expect.arrayContaining(["registrator-backend-3", "app-v1-backend-3-0", "app-v1-backend-3-1"]));
    expect(names.filter((n) => n.startsWith("registrator-"))).toHaveLength(3);
    expect(names.filter((n) => n.startsWith("app-"))).toHaveLength(6);
    // Still three members, on etcd, backend-1, backend-2.
    expect(names.filter((n) => /^etcd-\d$/.test(n))).toHaveLength(3);
    expect(hostOf(run.one(CONTAINER, "etcd-2"))).toBe("backend-2");
    expect(hostOf(run.byType(CONTAINER).find((c) => withoutGeneration(c.name) === "app-v1-backend-3-0")!)).toBe("backend-3");
  }, 60_000);

  it.each([
    ["a missing operator CIDR", { "aws.operatorCidr": undefined }, /switchyard:aws.operatorCidr is required/],
    ["a world-open operator CIDR", { "aws.operatorCidr": "0.0.0.0/0" }, /opens ssh and etcd to the whole internet/],
    ["a malformed region", { "aws.region": "Ireland" }, /switchyard:aws.region = 'Ireland' is not an AWS region name/],
    ["too few hosts for the etcd members", { "aws.backendHosts": "1" }, /aws.backendHosts = 1 gives 2 hosts for 3 etcd members/],
  ])("stops before declaring any resource on %s", async (_what, change, message) => {
    const config: Record<string, string> = { ...exampleAwsConfig() };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete config[k]; else config[k] = v;
    const failure = await runProgram(config).then(() => undefined, (e: Error & { resources?: unknown[] }) => e);
    expect(failure?.message).toMatch(message);
    expect(failure?.resources).toEqual([]);
  }, 60_000);
});
