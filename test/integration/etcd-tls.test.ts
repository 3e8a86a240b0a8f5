/**
 * etcd TLS and least-privilege access on a real 3-member cluster behind the real proxy (`etcd gateway`, L4),
 * started with the same memberFlags as the containers (https client and peer URLs, client-cert auth).
 * RBAC is bootstrapped by `applyAccess` (what the stack's EtcdAccess resource runs) with the operator
 * identity; every other identity is a client certificate whose CN is its etcd user.
 */
import type { Etcd3 } from "etcd3";
import { execFile } from "node:child_process";
import net from "node:net";
import { promisify } from "node:util";
import { etcdHealthArgs } from "../../components/etcd/cluster";
import { captureAccessProviderText } from "../../provider/access/testing";
import { loadSerializedProvider } from "../../provider/upstream/host";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { accessPlan, applyAccess, gatewayUser, registratorUser } from "../../lib/etcd/access";
import { classifyEtcdError, connectEtcd, explainEtcdError, type EtcdConnection } from "../../lib/etcd/client";
import { gatewayEndpointKey, gatewayStatusKey, upstreamKey } from "../../lib/etcd/keys";
import { STATUS_PROTOCOL_VERSION, statusChanges, statusEntries, type GatewayStatus } from "../../lib/etcd/status";
import { readGatewayStatus, writeStatusChanges } from "../../lib/etcd/status-io";
import { startEtcdCluster, type TestCluster } from "../helpers/etcd-cluster";
import { waitFor } from "../helpers/ports";
import { createTestCa } from "../helpers/tls-certs";

const ROOT = "/switchyard";
const GW = "sy-test-gw-1";
const REG = "backend-1";

describe("etcd with TLS and RBAC (real cluster, through the L4 proxy)", () => {
  let cluster: TestCluster;
  const clients: Etcd3[] = [];
  const connect = (c: EtcdConnection) => {
    const client = connectEtcd(c);
    clients.push(client);
    return client;
  };
  const as = (cn: string) => connect(cluster.connection({ tls: cluster.tls!.identity(cn), callTimeoutMs: 2000 }));
  /** The error kind of a call that must fail. */
  const refused = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (e) {
      return classifyEtcdError(e);
    }
    throw new Error("the call succeeded but should have been refused");
  };
  /** The raw reason of a call that must fail (the TLS alert, the gRPC status text), for the refusals above all. */
  const refusalMessage = async (call: () => Promise<unknown>) => {
    try {
      await call();
    } catch (e) {
      return String((e as Error)?.message ?? e);
    }
    throw new Error("the call succeeded but should have been refused");
  };
  /** What the endpoint answers to a plain-text HTTP/1 request on its TCP port. */
  const plainAnswer = (endpoint: string) => new Promise<string>((resolve, reject) => {
    const u = new URL(endpoint);
    const sock = net.connect(Number(u.port), u.hostname, () => sock.write("GET /version HTTP/1.1\r\nHost: x\r\n\r\n"));
    let got = "";
    sock.setTimeout(3000, () => sock.destroy());
    sock.on("data", (d) => (got += d.toString("latin1")));
    sock.on("close", () => resolve(got));
    sock.on("error", reject);
  });
  let operator: Etcd3;

  beforeAll(async () => {
    cluster = await startEtcdCluster({ size: 3, tls: true });
    operator = as("root");
  });
  afterAll(async () => {
    clients.forEach((c) => c.close());
    await cluster?.stop();
  });

  it("members advertise https URLs; the proxy carries TLS end to end", async () => {
    expect(cluster.proxyEndpoint).toMatch(/^https:\/\//);
    const { members } = await operator.cluster.memberList({});
    expect(members.map((m) => m.clientURLs[0]).every((u) => u.startsWith("https://127.0.0.1:"))).toBe(true);
    expect(members.map((m) => m.peerURLs[0]).every((u) => u.startsWith("https://127.0.0.1:"))).toBe(true);
  });

  it("refuses a client without a certificate, one with the CA but a certificate of another CA, and plain http", async () => {
    const noCert = connect(cluster.connection({ tls: { ca: cluster.tls!.ca.ca }, callTimeoutMs: 2000, dialTimeoutMs: 2000 }));
    // The member's TLS layer refuses the handshake itself (alert 42, bad certificate): not a timeout, not a
    // closed port.
    expect(await refused(() => noCert.get("/x").string())).toBe("unreachable");
    expect(await refusalMessage(() => noCert.get("/x").string())).toMatch(/alert bad certificate/);
    const other = createTestCa(`${cluster.dir}/other-pki`, "other").client("root");
    const wrongCert = connect(cluster.connection({ tls: { ca: cluster.tls!.ca.ca, cert: other.cert, key: other.key }, callTimeoutMs: 2000, dialTimeoutMs: 2000 }));
    expect(await refused(() => wrongCert.get("/x").string())).toBe("unreachable");
    expect(await refusalMessage(() => wrongCert.get("/x").string())).toMatch(/alert bad certificate/);
    const explained = await wrongCert.get("/x").string().then(() => undefined, (e: unknown) => explainEtcdError(e, cluster.connection(), "get /x"));
    expect(explained?.kind).toBe("unreachable");
    expect(explained?.message).toMatch(/check that the CA and the client certificate are the stack's/);
    const plain = connect({ endpoints: [cluster.proxyEndpoint.replace("https", "http")], callTimeoutMs: 2000, dialTimeoutMs: 2000 });
    expect(await refused(() => plain.get("/x").string())).toBe("unreachable");
    // Refused by a port that is open: it accepts the TCP connection and hangs up on plain text without an
    // answer (a closed port would say ECONNREFUSED).
    expect(await refusalMessage(() => plain.get("/x").string())).not.toMatch(/ECONNREFUSED/);
    expect(await plainAnswer(cluster.proxyEndpoint)).toBe("");
    // ...while the operator's certificate works on the same endpoint.
    await operator.put("/tls-probe").value("ok");
    expect(await operator.get("/tls-probe").string()).toBe("ok");
  });

  it("the serialized EtcdAccess provider, loaded as Pulumi's host loads it, bootstraps users and roles and enables auth, idempotently", async () => {
    const plan = accessPlan({ root: ROOT, gateways: [GW], registrators: [REG] });
    const provider = loadSerializedProvider(await captureAccessProviderText());
    const inputs = { connection: cluster.connection(), plan };
    expect((await provider.check!({}, inputs)).failures).toEqual([]);
    const created = await provider.create!(inputs);
    expect(created.outs.applied.created).toEqual(expect.arrayContaining(["user root", `user ${gatewayUser(GW)}`, `user ${registratorUser(REG)}`, `role switchyard-gateway-${GW}`, "role switchyard-registrator"]));
    const again = await provider.update!(created.id, created.outs, inputs);
    expect(again.outs!.applied).toEqual({ created: [], changed: [] });
    const second = await applyAccess(operator, plan);
    expect(second).toEqual({ created: [], changed: [] });
    // Auth is on: a certificate whose CN is no etcd user may do nothing.
    const stranger = as("stranger");
    expect(await refused(() => stranger.get(`${ROOT}/services/`).string())).toMatch(/permission|auth/);
    // A grant added by hand to a planned role is revoked by the next run.
    await operator.role(`switchyard-gateway-${GW}`).grant({ permission: "Readwrite", key: "/extra" });
    const third = await applyAccess(operator, plan);
    expect(third.changed).toEqual([`role switchyard-gateway-${GW}: revoke Readwrite [/extra, )`]);
  });

  it("the containers' healthchecks (etcdctl with a certificate that is no etcd user) pass on members and proxy with auth on", async () => {
    const ca = cluster.tls!.ca;
    const memberCert = ca.server("probe-member", ["127.0.0.1"]);
    const health = ca.client("healthcheck");
    for (const [port, cert] of [[cluster.members[0].clientPort, memberCert], [Number(new URL(cluster.proxyEndpoint).port), health]] as const) {
      const { stdout, stderr } = await promisify(execFile)("etcdctl", etcdHealthArgs(port, { caFile: ca.caFile, certFile: cert.certFile, keyFile: cert.keyFile }), { env: { ...process.env, ETCDCTL_API: "3" } });
      expect(`${stdout}${stderr}`).toMatch(/is healthy/);
    }
    // Without a certificate the same probe fails: the check is not vacuous.
    await expect(promisify(execFile)("etcdctl", etcdHealthArgs(cluster.members[0].clientPort).map((a) => a.replace("http:", "https:")).concat(`--cacert=${ca.caFile}`), { env: { ...process.env, ETCDCTL_API: "3" } })).rejects.toThrow();
  });

  it("the operator (root) writes upstreams", async () => {
    await operator.put(upstreamKey(ROOT, "app", "v1-0")).value("10.0.0.5:8080");
    expect(await operator.get(upstreamKey(ROOT, "app", "v1-0")).string()).toBe("10.0.0.5:8080");
  });

  it("the gateway identity cannot put or delete an upstream or another gateway's status; it can read, watch and write its own status", async () => {
    const gw = as(gatewayUser(GW));
    expect(await refused(() => gw.put(upstreamKey(ROOT, "app", "evil")).value("6.6.6.6:80").exec())).toBe("permission");
    expect(await refused(() => gw.delete().key(upstreamKey(ROOT, "app", "v1-0")).exec())).toBe("permission");
    expect(await refused(() => gw.put(gatewayStatusKey(ROOT, "someone-else")).value("{}").exec())).toBe("permission");
    expect(await refused(() => gw.put(gatewayEndpointKey(ROOT, "someone-else", "app", "v1-0")).value("{}").exec())).toBe("permission");
    expect(await refused(() => gw.put("/elsewhere").value("x").exec())).toBe("permission");
    // The explained error names the certificate identity, so an operator knows which user lacks the grant.
    const conn = cluster.connection({ tls: cluster.tls!.identity(gatewayUser(GW)) });
    const denied = await gw.put("/elsewhere").value("x").exec().then(() => undefined, (e: unknown) => explainEtcdError(e, conn, "put /elsewhere"));
    expect(denied?.message).toMatch(new RegExp(`^permission denied for certificate identity ${gatewayUser(GW)} \\(etcd user '${gatewayUser(GW)}'\\) on put /elsewhere`));
    expect(await operator.get(upstreamKey(ROOT, "app", "v1-0")).string()).toBe("10.0.0.5:8080");

    expect(await gw.getAll().prefix(`${ROOT}/services/`).keys()).toContain(upstreamKey(ROOT, "app", "v1-0"));
    const seen: string[] = [];
    const watcher = await gw.watch().prefix(`${ROOT}/services/`).create();
    watcher.on("put", (kv) => seen.push(kv.key.toString()));
    try {
      await operator.put(upstreamKey(ROOT, "app", "v2-0")).value("10.0.0.6:8080");
      await waitFor("the gateway's watch to see the new upstream", async () => seen.includes(upstreamKey(ROOT, "app", "v2-0")), 10_000, 50);
    } finally {
      await watcher.cancel();
    }

    // Its status keys, lease-bound and in one transaction as the agent writes them, and the lease revoked as
    // the agent does on exit.
    const lease = gw.lease(10, { autoKeepAlive: false });
    const leaseId = await lease.grant();
    const status: GatewayStatus = { protocol: STATUS_PROTOCOL_VERSION, id: GW, kind: "nginx", appliedRevision: 1, appliedAt: "t", lastError: null, endpoints: { "app/v1-0": { addr: "10.0.0.5:8080", health: "healthy" } } };
    await writeStatusChanges(gw, statusChanges(new Map(), statusEntries(ROOT, status)), leaseId);
    expect((await readGatewayStatus(operator, ROOT, GW))?.endpoints).toEqual(status.endpoints);
    await lease.revoke();
    expect(await operator.get(gatewayStatusKey(ROOT, GW)).string()).toBeNull();
    expect(await operator.get(gatewayEndpointKey(ROOT, GW, "app", "v1-0")).string()).toBeNull();
  });

  it("a registrator identity writes under the services root and nowhere else", async () => {
    const reg = as(registratorUser(REG));
    const key = upstreamKey(ROOT, "other", "hand-0");
    await reg.put(key).value("10.0.0.7:80");
    expect(await reg.get(key).string()).toBe("10.0.0.7:80");
    await reg.delete().key(key).exec();
    expect(await refused(() => reg.put(gatewayStatusKey(ROOT, GW)).value("{}").exec())).toBe("permission");
    expect(await refused(() => reg.put(`${ROOT}/servicesX`).value("x").exec())).toBe("permission");
    expect(await refused(() => reg.put("/other-root/services/app/upstream/x").value("x").exec())).toBe("permission");
    expect(await refused(() => reg.get(gatewayStatusKey(ROOT, GW)).string())).toBe("permission");
  });
});
