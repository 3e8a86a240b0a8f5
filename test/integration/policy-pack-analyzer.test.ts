/**
 * The policy pack as the Pulumi CLI runs it, without the CLI (which cannot be installed here): policy/index.ts
 * starts as its own process in the pack directory, prints its gRPC port, and the test speaks the analyzer
 * protocol the engine uses (GetAnalyzerInfo, Configure, Analyze, AnalyzeStack). This proves that the pack
 * loads from its folder, serves every policy with its default enforcement level, reports violations with
 * the right level, and that a policy-pack config changes a level as README "Policy pack" says.
 */
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { leastPrivilege } from "../../components/hardening";
import { memberFlags } from "../../components/etcd/flags";
import { policies } from "../../policy/policies";
import { waitFor } from "../helpers/ports";
import { startProcess, tail, type Proc } from "../helpers/processes";

const ROOT = path.resolve(__dirname, "../..");
const PACK_DIR = path.join(ROOT, "policy");
const CONTAINER = "docker:index/container:Container";

let pack: Proc;
let client: AnalyzerClient;
let logDir: string;

function call<Req, Res>(method: (req: Req, cb: (err: grpc.ServiceError | null, res: Res) => void) => unknown, req: Req): Promise<Res> {
  return new Promise((resolve, reject) => method.call(client, req, (err, res) => (err ? reject(err) : resolve(res))));
}

function resourceMessage<T extends analyzer.AnalyzeRequest | analyzer.AnalyzerResource>(msg: T, type: string, name: string, props: Record<string, unknown>): T {
  msg.setType(type);
  msg.setName(name);
  msg.setUrn(`urn:pulumi:dev::switchyard::${type}::${name}`);
  msg.setProperties(Struct.fromJavaScript(props as never));
  msg.setOptions(new analyzer.AnalyzerResourceOptions());
  return msg;
}

const analyze = (type: string, name: string, props: Record<string, unknown>) =>
  call<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>(client.analyze, resourceMessage(new analyzer.AnalyzeRequest(), type, name, props));

const diagnostics = (res: analyzer.AnalyzeResponse) =>
  res.getDiagnosticsList().map((d) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));

/** The fixture's members run without TLS, which the pack reports as an advisory (policy/etcd-settings). */
const NO_TLS_ADVISORY = { policy: "etcd-tls-everywhere", level: analyzer.EnforcementLevel.ADVISORY, message: expect.any(String) };

function member(i: number, size: number): Record<string, unknown> {
  const members = Array.from({ length: size }, (_, k) => ({ name: `etcd-${k}`, host: `sy-etcd-${k}`, clientPort: 2379, peerPort: 2380 }));
  return {
    name: `sy-etcd-${i}`,
    image: "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    command: ["etcd", ...memberFlags({ self: `etcd-${i}`, members, clusterToken: "t", dataDir: "/var/lib/etcd", listenHost: "0.0.0.0" })],
    restart: "unless-stopped",
    healthcheck: { tests: ["CMD", "etcdctl", "endpoint", "health"] },
    // As the program declares members (components/etcd/cluster.ts), so only the policy under test speaks.
    ...leastPrivilege(["DAC_OVERRIDE"]),
  };
}

async function configure(levels: Record<string, analyzer.EnforcementLevel>): Promise<void> {
  const req = new analyzer.ConfigureAnalyzerRequest();
  for (const [name, level] of Object.entries(levels)) {
    const pc = new analyzer.PolicyConfig();
    pc.setEnforcementlevel(level);
    pc.setProperties(Struct.fromJavaScript({}));
    req.getPolicyconfigMap().set(name, pc);
  }
  await call(client.configure, req);
}

beforeAll(async () => {
  logDir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-test-policy-"));
  const log = path.join(logDir, "pack.log");
  // The pack reads its version from package.json in its working directory, as under the CLI.
  pack = startProcess("sh", ["-c", `cd '${PACK_DIR}' && exec '${process.execPath}' --import tsx index.ts`], log);
  const port = await waitFor("the policy pack to print its port", async () => {
    const m = /^(\d+)\s*$/m.exec(fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "");
    return m ? Number(m[1]) : undefined;
  }, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}\n${tail(log)}`);
  });
  client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await pack?.kill();
  fs.rmSync(logDir, { recursive: true, force: true });
});

describe("the policy pack served as the CLI runs it", () => {
  it("announces every policy with its default enforcement level", async () => {
    const info = await call<Empty, analyzer.AnalyzerInfo>(client.getAnalyzerInfo, new Empty());
    expect(info.getName()).toBe("switchyard");
    const served = Object.fromEntries(info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]));
    const expected = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel === "advisory" ? analyzer.EnforcementLevel.ADVISORY : analyzer.EnforcementLevel.MANDATORY]));
    expect(served).toEqual(expected);
  });

  it("reports a two-member etcd cluster and an unpinned image as mandatory violations", async () => {
    const two = diagnostics(await analyze(CONTAINER, "etcd-0", member(0, 2)));
    expect(two).toEqual([{ policy: "etcd-member-count", level: analyzer.EnforcementLevel.MANDATORY, message: expect.stringContaining("cluster of 2 members") }, NO_TLS_ADVISORY]);
    const latest = diagnostics(await analyze("docker:index/remoteImage:RemoteImage", "etcd-image", { name: "quay.io/coreos/etcd:latest", keepLocally: true }));
    expect(latest).toEqual([{ policy: "images-pinned", level: analyzer.EnforcementLevel.MANDATORY, message: expect.stringContaining('uses the floating tag "latest"') }]);
    expect(diagnostics(await analyze(CONTAINER, "etcd-0", member(0, 3)))).toEqual([NO_TLS_ADVISORY]);
  });

  it("checks the stack as a whole: a listed member without a container", async () => {
    const req = new analyzer.AnalyzeStackRequest();
    req.setResourcesList([0, 1].map((i) => resourceMessage(new analyzer.AnalyzerResource(), CONTAINER, `etcd-${i}`, member(i, 3))));
    const found = diagnostics(await call<analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse>(client.analyzeStack, req));
    expect(found).toEqual([{ policy: "etcd-cluster-complete", level: analyzer.EnforcementLevel.MANDATORY, message: expect.stringContaining("missing: etcd-2") }]);
  });

  it("raises a level through the policy-pack config (etcd-single-member: advisory -> mandatory)", async () => {
    const before = diagnostics(await analyze(CONTAINER, "etcd-0", member(0, 1)));
    expect(before).toEqual([{ policy: "etcd-single-member", level: analyzer.EnforcementLevel.ADVISORY, message: expect.stringContaining("only member") }, NO_TLS_ADVISORY]);
    await configure({ "etcd-single-member": analyzer.EnforcementLevel.MANDATORY });
    const after = diagnostics(await analyze(CONTAINER, "etcd-0", member(0, 1)));
    expect(after).toEqual([{ policy: "etcd-single-member", level: analyzer.EnforcementLevel.MANDATORY, message: expect.stringContaining("only member") }, NO_TLS_ADVISORY]);
    await configure({ "etcd-single-member": analyzer.EnforcementLevel.DISABLED });
    expect(diagnostics(await analyze(CONTAINER, "etcd-0", member(0, 1)))).toEqual([NO_TLS_ADVISORY]);
  });
});
