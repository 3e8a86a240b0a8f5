import { beforeAll, describe, expect, it } from "vitest";
import { runProgram, withoutGeneration, type CapturedResource, type ProgramRun } from "./helpers/pulumi-program";

const CONTAINER = "docker:index/container:Container";
const flagsOf = (c: CapturedResource) => Object.fromEntries((c.inputs.command as string[]).slice(1).filter((f) => f.startsWith("--")).map((f) => f.slice(2).split(/=(.*)/s).slice(0, 2)));

describe("the program under mocks, default config", () => {
  // One run of the default program serves the assertions that only read it.
  let defaults: ProgramRun;
  // The first run in a worker also builds the image contexts (esbuild): slow on a loaded machine.
  beforeAll(async () => {
    defaults = await runProgram();
  }, 180_000);
  it("declares exactly the expected resources, each parented under its component", async () => {
    const run = defaults;
    const tree = run.resources.map((r) => `${r.type} ${withoutGeneration(r.name)} <- ${r.parent ? r.parent.split("::").slice(-1)[0] : "stack"}`).sort();
    expect(tree).toEqual([
      "docker:index/container:Container app-v1-local-0 <- app",
      "docker:index/container:Container app-v1-local-1 <- app",
      "docker:index/container:Container etcd-0 <- etcd",
      "docker:index/container:Container etcd-1 <- etcd",
      "docker:index/container:Container etcd-2 <- etcd",
      "docker:index/container:Container etcd-proxy <- etcd-proxy",
      "docker:index/container:Container gateway <- gateway",
      "docker:index/container:Container registrator-local <- registrator",
      "docker:index/image:Image app-image-local <- app",
      "docker:index/image:Image gateway-image <- gateway",
      "docker:index/image:Image registrator-local-image <- registrator",
      "docker:index/network:Network docker-network <- docker",
      "docker:index/remoteImage:RemoteImage app-image-local-base <- app",
      "docker:index/remoteImage:RemoteImage etcd-image-local <- etcd",
      "docker:index/remoteImage:RemoteImage etcd-proxy-image-local <- etcd-proxy",
      "docker:index/remoteImage:RemoteImage gateway-image-base <- gateway",
      "docker:index/remoteImage:RemoteImage registrator-local-image-base <- registrator",
      "docker:index/volume:Volume etcd-0-data <- etcd",
      "docker:index/volume:Volume etcd-1-data <- etcd",
      "docker:index/volume:Volume etcd-2-data <- etcd",
      "pulumi-nodejs:dynamic/switchyard:Route app-route <- app",
      "pulumi-nodejs:dynamic/switchyard:Upstream app-v1-local-0-upstream <- app",
      "pulumi-nodejs:dynamic/switchyard:Upstream app-v1-local-1-upstream <- app",
      "pulumi:providers:docker docker-docker <- docker",
      "switchyard:backend:Backend app <- stack",
      "switchyard:etcd:EtcdCluster etcd <- stack",
      "switchyard:etcd:EtcdProxy etcd-proxy <- stack",
      "switchyard:gateway:Gateway gateway <- stack",
      "switchyard:registrator:Registrator registrator <- stack",
      "switchyard:target:Docker docker <- stack",
    ]);
    // Every Docker object is created through the target's provider, not the default one.
    for (const r of run.resources.filter((x) => x.type.startsWith("docker:index/"))) expect(r.provider, r.name).toMatch(/docker-docker/);
  });

  it("exports the operator's etcd endpoint on 127.0.0.1, the members and the network", async () => {
    const run = defaults;
    expect(run.outputs).toMatchObject({
      gatewayUrl: "http://localhost:8000",
      statsUrl: "http://127.0.0.1:1936/",
      liveVersion: "v1",
      etcdEndpoint: "http://127.0.0.1:2379",
      etcdInternalEndpoint: "http://switchyard-dev-etcd-proxy:2379",
      etcdMembers: ["etcd-0", "etcd-1", "etcd-2"],
      network: "switchyard-dev",
      servicesRoot: "/switchyard",
    });
  });

  it("publishes the gateway port publicly, the operator's ports (the stats page too) on 127.0.0.1 only, nothing of the members", async () => {
    const run = defaults;
    const published = run.byType(CONTAINER).flatMap((c) => (c.inputs.ports ?? []).map((p: any) => `${c.name} ${p.ip}:${p.external}->${p.internal}`));
    expect(published.sort()).toEqual([
      "etcd-proxy 127.0.0.1:2379->2379",
      "gateway 0.0.0.0:8000->8000",
      "gateway 127.0.0.1:1936->1936",
      "gateway 127.0.0.1:9100->9100",
      "registrator-local 127.0.0.1:9102->9102",
    ]);
  });

  it("switches by version: backend containers and Upstreams carry it, and the Upstreams write through the operator endpoint, gated", async () => {
    const run = await runProgram({ "backend.version": "v2", "switch.gateTimeoutSeconds": 30 });
    const backends = run.byType(CONTAINER).filter((c) => c.name.startsWith("app-"));
    expect(backends.map((c) => withoutGeneration(c.inputs.name)).sort()).toEqual(["switchyard-dev-app-v2-local-0", "switchyard-dev-app-v2-local-1"]);
    for (const b of backends) expect(b.inputs.labels).toContainEqual({ label: "switchyard.backend.version", value: "v2" });
    // Program-declared backends must not carry the registrator's label, or they would be registered twice.
    for (const b of backends) expect(b.inputs.labels.map((l: any) => l.label)).not.toContain("switchyard.service");
    const ups = run.byType("pulumi-nodejs:dynamic/switchyard:Upstream");
    expect(ups.map((u) => withoutGeneration(u.name)).sort()).toEqual(["app-v2-local-0-upstream", "app-v2-local-1-upstream"]);
    for (const u of ups) {
      expect(u.inputs.connection.endpoints).toEqual(["http://127.0.0.1:2379"]);
      expect(u.inputs.gate).toMatchObject({ enabled: true, timeoutMs: 30_000 });
      expect(JSON.parse(u.inputs.value)).toMatchObject({ version: "v2", source: "pulumi", healthPath: "/healthz" });
      // Each Upstream depends on its container: Pulumi deletes the key (and waits for the drain) first.
      expect(u.dependencies.some((d) => d.endsWith(`::${u.name.replace(/-upstream$/, "")}`))).toBe(true);
    }
    expect(run.outputs.liveVersion).toBe("v2");
  });

  it("gives members consistent flags, their own named volume, an exec healthcheck and the shared network", async () => {
    const run = defaults;
    const members = ["etcd-0", "etcd-1", "etcd-2"].map((n) => run.one(CONTAINER, n));
    const flags = members.map(flagsOf);
    for (const f of flags) {
      const entries = Object.fromEntries(f["initial-cluster"].split(",").map((e: string) => e.split("=")));
      for (const g of flags) expect(entries[g.name]).toBe(g["initial-advertise-peer-urls"]);
      expect(f["initial-cluster-token"]).toBe("switchyard-switchyard-dev");
    }
    members.forEach((m, i) => {
      expect(m.inputs.name).toBe(`switchyard-dev-etcd-${i}`);
      expect(m.inputs.volumes).toEqual([{ volumeName: `switchyard-dev-etcd-${i}-data`, containerPath: "/var/lib/etcd" }]);
      expect(flagsOf(m)["data-dir"]).toBe(`/var/lib/etcd/etcd-${i}`);
      expect(m.inputs.healthcheck.tests[0]).toBe("CMD");
      expect(m.inputs.networksAdvanced).toEqual([{ name: "switchyard-dev", aliases: [`switchyard-dev-etcd-${i}`] }]);
      expect(m.inputs.restart).toBe("unless-stopped");
    });
    const proxy = run.one(CONTAINER, "etcd-proxy");
    expect(proxy.inputs.command.slice(0, 3)).toEqual(["etcd", "gateway", "start"]);
    expect(proxy.inputs.command).toContain("--endpoints=switchyard-dev-etcd-0:2379,switchyard-dev-etcd-1:2379,switchyard-dev-etcd-2:2379");
  });

  it("uses a different cluster token per stack", async () => {
    const dev = flagsOf((await runProgram({}, { stack: "dev" })).one(CONTAINER, "etcd-0"));
    const prod = flagsOf((await runProgram({}, { stack: "prod" })).one(CONTAINER, "etcd-0"));
    expect(dev["initial-cluster-token"]).not.toBe(prod["initial-cluster-token"]);
  });

  it("follows etcd.members and etcd.proxyPort", async () => {
    const run = await runProgram({ "etcd.members": 5, "etcd.proxyPort": 12379 });
    expect(run.byType(CONTAINER).map((c) => c.name).filter((n) => n.startsWith("etcd")).sort()).toEqual(["etcd-0", "etcd-1", "etcd-2", "etcd-3", "etcd-4", "etcd-proxy"]);
    expect(run.one(CONTAINER, "etcd-proxy").inputs.ports).toEqual([{ internal: 2379, external: 12379, ip: "127.0.0.1" }]);
    expect(run.outputs.etcdEndpoint).toBe("http://127.0.0.1:12379");
  });
});

describe("invalid config fails before any resource is declared", () => {
  it.each([
    [{ "etcd.members": 2 }, /switchyard:etcd.members = 2 must be a positive odd number/],
    [{ "gateway.kind": "apache" }, /switchyard:gateway.kind = 'apache' is unknown/],
    [{ "backend.version": "v 2" }, /switchyard:backend.version = 'v 2' is not a valid image tag/],
    [{ target: "aws", "aws.region": "eu-west-1", "aws.operatorCidr": "1.2.3.4/40" }, /switchyard:aws.operatorCidr '1.2.3.4\/40'/],
    [{ "gateway.port": 2379 }, /switchyard:etcd.proxyPort and switchyard:gateway.port are both 2379/],
  ])("%j", async (config, message) => {
    const err = await runProgram(config as Record<string, string>).then(() => undefined, (e: Error & { resources?: unknown[] }) => e);
    expect(err?.message).toMatch(message);
    expect(err?.resources).toEqual([]);
  });
});
