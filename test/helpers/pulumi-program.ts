/**
 * Runs the real program (index.ts) under `pulumi.runtime.setMocks` with a given stack config and captures
 * every resource it declares: type, name, inputs, parent. Each call loads the SDK and the program afresh
 * (vi.resetModules), so several configurations can run in one test file.
 */
import path from "node:path";
import { vi } from "vitest";

export interface CapturedResource {
  type: string;
  name: string;
  urn: string;
  inputs: Record<string, any>;
  parent?: string;
  provider?: string;
  dependencies: string[];
}

export interface ProgramRun {
  resources: CapturedResource[];
  outputs: Record<string, unknown>;
  byType(type: string): CapturedResource[];
  one(type: string, name: string): CapturedResource;
}

const ROOT = path.resolve(__dirname, "../..");
export { withoutGeneration } from "./names";

/**
 * Runs are deterministic for a given config and stack: repeat calls in one test worker get a deep copy of
 * the first run (tests may mutate what they get). Failures are never cached.
 */
const runs = new Map<string, ProgramRun>();

export async function runProgram(config: Record<string, string | number | boolean | string[]> = {}, opts: { stack?: string; project?: string; preview?: boolean } = {}): Promise<ProgramRun> {
  const key = JSON.stringify({ config, opts });
  const cached = runs.get(key);
  if (cached) return withLookups(structuredClone({ resources: cached.resources, outputs: cached.outputs }));
  const run = await runProgramOnce(config, opts);
  runs.set(key, run);
  return withLookups(structuredClone({ resources: run.resources, outputs: run.outputs }));
}

function withLookups(r: { resources: CapturedResource[]; outputs: Record<string, unknown> }): ProgramRun {
  return {
    ...r,
    byType: (type) => r.resources.filter((x) => x.type === type),
    one(type, name) {
      const found = r.resources.find((x) => x.type === type && x.name === name);
      if (!found) throw new Error(`no ${type} named ${name}; have: ${r.resources.map((x) => `${x.type} ${x.name}`).join(", ")}`);
      return found;
    },
  };
}

async function runProgramOnce(config: Record<string, string | number | boolean | string[]> = {}, opts: { stack?: string; project?: string; preview?: boolean } = {}): Promise<ProgramRun> {
  vi.resetModules();
  const project = opts.project ?? "switchyard";
  const stack = opts.stack ?? "dev";
  const pulumi = (await import("@pulumi/pulumi")) as typeof import("@pulumi/pulumi");
  const resources: CapturedResource[] = [];
  const allConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) allConfig[`${project}:${k}`] = typeof v === "string" ? v : JSON.stringify(v);
  pulumi.runtime.setAllConfig(allConfig);
  const mocks: import("@pulumi/pulumi/runtime/mocks").Mocks = {
    newResource(args) {
      const inputs = args.inputs as Record<string, any>;
      // Outputs a real engine would compute and the program reads back.
      const state: Record<string, unknown> = { ...inputs };
      if (args.type === "docker:index/remoteImage:RemoteImage") state.imageId = `sha256:${Buffer.from(String(inputs.name)).toString("hex").padEnd(64, "0").slice(0, 64)}`;
      if (args.type === "docker:index/network:Network") state.ipamConfigs = [{ subnet: "172.30.0.0/16", gateway: "172.30.0.1" }];
      if (args.type === "docker:index/image:Image") state.repoDigest = `${inputs.imageName}@sha256:${"0".repeat(64)}`;
      // @pulumi/tls: recognisable fake PEMs, so tests can look for a private key wherever it must not be.
      if (args.type === "tls:index/privateKey:PrivateKey") {
        state.privateKeyPem = `-----BEGIN PRIVATE KEY-----\nmock ${args.name}\n-----END PRIVATE KEY-----\n`;
        state.privateKeyOpenssh = `-----BEGIN OPENSSH PRIVATE KEY-----\nmock ${args.name}\n-----END OPENSSH PRIVATE KEY-----\n`;
        state.publicKeyOpenssh = `ssh-ed25519 AAAAmock${args.name}`;
      }
      // aws: addresses derived from the instance's name, so tests can tell hosts apart.
      if (args.type === "aws:ec2/instance:Instance") {
        const n = [...args.name].reduce((h, ch) => (h * 31 + ch.charCodeAt(0)) % 200, 7) + 10;
        state.privateIp = `10.42.1.${n}`;
        state.publicIp = `198.51.100.${n}`;
      }
      if (args.type === "aws:ec2/keyPair:KeyPair") state.keyName = inputs.keyName;
      // Dynamic resources: the key and address their providers' check and create compute.
      if (args.type === "pulumi-nodejs:dynamic/switchyard:Upstream") {
        state.key = `${inputs.root ?? "/switchyard"}/services/${inputs.service}/upstream/${inputs.endpoint}`;
        state.addr = String(inputs.value).startsWith("{") ? JSON.parse(inputs.value).addr : inputs.value;
      }
      if (args.type === "pulumi-nodejs:dynamic/switchyard:Route") state.key = `${inputs.root ?? "/switchyard"}/services/${inputs.service}/route`;
      if (args.type === "tls:index/certRequest:CertRequest") state.certRequestPem = `-----BEGIN CERTIFICATE REQUEST-----\nmock ${args.name}\n-----END CERTIFICATE REQUEST-----\n`;
      if (args.type === "tls:index/selfSignedCert:SelfSignedCert" || args.type === "tls:index/locallySignedCert:LocallySignedCert") state.certPem = `-----BEGIN CERTIFICATE-----\nmock ${args.name}\n-----END CERTIFICATE-----\n`;
      return { id: `${args.name}-id`, state };
    },
    call: (args) => (args.token === "aws:ec2/getAmi:getAmi" ? { ...args.inputs, id: "ami-0mockdebian12" } : args.inputs),
  };
  // setMocks sets the SDK's feature flags; the capturing monitor then replaces its monitor so that each
  // request's parent, provider and dependencies are recorded too.
  await pulumi.runtime.setMocks(mocks, project, stack, opts.preview ?? false);
  const { MockMonitor } = (await import("@pulumi/pulumi/runtime/mocks")) as any;
  class CapturingMonitor extends MockMonitor {
    async registerResource(req: any, cb: any) {
      const rpc = (await import("@pulumi/pulumi/runtime/rpc")) as any;
      const inputs = rpc.deserializeProperties(req.getObject());
      resources.push({
        type: req.getType(),
        name: req.getName(),
        urn: (this as any).newUrn(req.getParent(), req.getType(), req.getName()),
        inputs,
        parent: req.getParent() || undefined,
        provider: req.getProvider() || undefined,
        dependencies: req.getDependenciesList(),
      });
      return super.registerResource(req, cb);
    }
  }
  pulumi.runtime.setMockOptions(new (CapturingMonitor as any)(mocks), project, stack, opts.preview ?? false);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(path.join(ROOT, "index.ts"))) as Record<string, unknown>;
  } catch (e) {
    // Keep what was declared before the failure, so tests can assert that nothing was.
    throw Object.assign(e as Error, { resources });
  }
  const outputs: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(mod)) {
    if (k === "default" || k === "__esModule") continue;
    outputs[k] = await new Promise((resolve) => pulumi.output(v as any).apply((x: unknown) => { resolve(x); return x; }));
  }
  // Let registrations that no output depends on finish too. A quiet 20 ms alone misses a registration still
  // being prepared (a dynamic provider's closure serialization can take longer on a loaded machine), so each
  // round first waits for the SDK's own count of RPCs in flight to drain (what the language host waits for
  // before it disconnects), then for a quiet turn that registers nothing new.
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
  let last = -1;
  while (last !== resources.length) {
    last = resources.length;
    await settings.waitForRPCs();
    await new Promise((r) => setTimeout(r, 20));
  }
  return withLookups({ resources, outputs });
}
