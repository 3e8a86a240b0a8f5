/**
 * The program under mocks with etcd.tls=true: certificates from @pulumi/tls, members with https and
 * client-cert auth, one identity per client, the RBAC bootstrap resource, and private keys only where they
 * belong (container uploads and the secret connections), never in outputs, environments or command lines.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runProgram, type CapturedResource, type ProgramRun } from "./helpers/pulumi-program";

const CONTAINER = "docker:index/container:Container";
const ACCESS = "pulumi-nodejs:dynamic/switchyard:EtcdAccess";
const keyPem = (res: string) => `-----BEGIN PRIVATE KEY-----\nmock ${res}\n-----END PRIVATE KEY-----\n`;
const uploadsOf = (c: CapturedResource): { file: string; content: string; permissions?: string }[] => c.inputs.uploads ?? [];
const flagsOf = (c: CapturedResource) => (c.inputs.command as string[]).filter((f) => f.startsWith("--"));

describe("the program under mocks with etcd.tls=true", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runProgram({ "etcd.tls": true });
  }, 60_000);

  it("declares a per-stack CA and a certificate per member and per client identity", () => {
    const certs = run.byType("tls:index/locallySignedCert:LocallySignedCert").map((r) => r.name).sort();
    expect(certs).toEqual([
      "etcd-pki-client-gateway-switchyard-dev-gateway-nginx-cert",
      "etcd-pki-client-healthcheck-cert",
      "etcd-pki-client-registrator-local-cert",
      "etcd-pki-client-root-cert",
      "etcd-pki-etcd-0-cert",
      "etcd-pki-etcd-1-cert",
      "etcd-pki-etcd-2-cert",
    ]);
    expect(run.byType("tls:index/selfSignedCert:SelfSignedCert").map((r) => r.inputs.isCaCertificate)).toEqual([true]);
    const csr = run.one("tls:index/certRequest:CertRequest", "etcd-pki-etcd-0-csr").inputs;
    expect(csr.subject.commonName).toBe("etcd-0");
    expect(csr.dnsNames).toEqual(["switchyard-dev-etcd-0", "switchyard-dev-etcd-proxy", "localhost"]);
    expect(csr.ipAddresses).toEqual(["127.0.0.1"]);
    expect(run.one("tls:index/certRequest:CertRequest", "etcd-pki-client-root-csr").inputs.subject.commonName).toBe("root");
    expect(run.one("tls:index/locallySignedCert:LocallySignedCert", "etcd-pki-client-root-cert").inputs.allowedUses).toEqual(["digital_signature", "key_encipherment", "client_auth"]);
  });

  it("members run https client and peer URLs with client-certificate auth, their key uploaded as a file", () => {
    for (const i of [0, 1, 2]) {
      const m = run.one(CONTAINER, `etcd-${i}`);
      const flags = flagsOf(m);
      expect(flags).toContain(`--advertise-client-urls=https://switchyard-dev-etcd-${i}:2379`);
      expect(flags).toContain(`--initial-advertise-peer-urls=https://switchyard-dev-etcd-${i}:2380`);
      expect(flags).toEqual(expect.arrayContaining(["--client-cert-auth", "--peer-client-cert-auth", "--key-file=/etc/etcd/pki/key.pem", "--trusted-ca-file=/etc/etcd/pki/ca.pem"]));
      expect(uploadsOf(m)).toContainEqual({ file: "/etc/etcd/pki/key.pem", content: keyPem(`etcd-pki-etcd-${i}-key`), permissions: "0600" });
      expect(m.inputs.healthcheck.tests).toEqual(["CMD", "etcdctl", "--endpoints=https://127.0.0.1:2379", "--cacert=/etc/etcd/pki/ca.pem", "--cert=/etc/etcd/pki/cert.pem", "--key=/etc/etcd/pki/key.pem", "--command-timeout=2s", "endpoint", "health"]);
    }
    const proxy = run.one(CONTAINER, "etcd-proxy");
    expect(uploadsOf(proxy).map((u) => u.content)).toContain(keyPem("etcd-pki-client-healthcheck-key"));
  });

  it("every client connects over https with its own identity: gateway, registrator, Upstream provider (root)", () => {
    const gw = run.one(CONTAINER, "gateway");
    const cmd = gw.inputs.command as string[];
    expect(cmd[cmd.indexOf("--etcd") + 1]).toBe("https://switchyard-dev-etcd-proxy:2379");
    expect(cmd).toEqual(expect.arrayContaining(["--etcd-ca", "--etcd-cert", "--etcd-key"]));
    expect(uploadsOf(gw).map((u) => u.content)).toContain(keyPem("etcd-pki-client-gateway-switchyard-dev-gateway-nginx-key"));
    const reg = run.one(CONTAINER, "registrator-local");
    expect(reg.inputs.envs).toContain("ETCD_ENDPOINTS=https://switchyard-dev-etcd-proxy:2379");
    expect(uploadsOf(reg).map((u) => u.content)).toContain(keyPem("etcd-pki-client-registrator-local-key"));
    for (const u of run.byType("pulumi-nodejs:dynamic/switchyard:Upstream")) {
      expect(u.inputs.connection.endpoints).toEqual(["https://127.0.0.1:2379"]);
      expect(u.inputs.connection.tls.key).toBe(keyPem("etcd-pki-client-root-key"));
    }
  });

  it("bootstraps RBAC with the root identity before the gateway, registrator and backends start", () => {
    const [access] = run.byType(ACCESS);
    expect(access.inputs.connection.tls.cert).toContain("etcd-pki-client-root-cert");
    expect(access.inputs.plan.users.map((u: { name: string }) => u.name)).toEqual(["root", "gateway-switchyard-dev-gateway-nginx", "registrator-local"]);
    for (const comp of ["gateway", "registrator", "app"]) {
      const c = run.resources.find((r) => r.type.startsWith("switchyard:") && r.name === comp)!;
      expect(c.dependencies, comp).toContain(access.urn);
    }
  });

  it("no private key in stack outputs, container environments or command lines", () => {
    expect(JSON.stringify(run.outputs)).not.toMatch(/PRIVATE KEY/);
    expect(run.outputs.etcdCaCert).toContain("BEGIN CERTIFICATE");
    for (const c of run.byType(CONTAINER)) {
      expect(JSON.stringify(c.inputs.envs ?? []), c.name).not.toMatch(/PRIVATE KEY/);
      expect(JSON.stringify(c.inputs.command ?? []), c.name).not.toMatch(/PRIVATE KEY/);
    }
  });

  it("without etcd.tls nothing of it is declared and every URL stays http", async () => {
    const plain = await runProgram();
    expect(plain.resources.filter((r) => r.type.startsWith("tls:") || r.type === ACCESS)).toEqual([]);
    expect(plain.outputs.etcdEndpoint).toBe("http://127.0.0.1:2379");
  });
});
