/**
 * The user's journey with the real Pulumi CLI, through the Automation API and a local file backend:
 *   up (version A) → check the gateway → switch to version B → up → check → destroy.
 *
 *   npx tsx scripts/journey.ts                       # v1 → v2 on stack "journey", then destroy
 *   npx tsx scripts/journey.ts --from v1 --to v2 --stack dev --keep
 *
 * IT CANNOT RUN IN THIS PROJECT'S TEST ENVIRONMENT: the Automation API drives the `pulumi` CLI, and neither
 * the CLI nor the docker provider plugin can be installed there (they download from outside the reachable
 * registries). It is for users who have the CLI (https://www.pulumi.com/docs/install/). The test suite runs
 * the same journey with the deployment harness instead (test/harness, README "The deployment harness").
 *
 * State goes to a file backend under .pulumi-state/journey/ (git-ignored) (PULUMI_BACKEND_URL=file://...), secrets use the
 * passphrase provider (PULUMI_CONFIG_PASSPHRASE, empty by default: set one for anything but a demo).
 */
import { LocalWorkspace, type OutputMap, type Stack } from "@pulumi/pulumi/automation";
import { Command } from "commander";
import fs from "node:fs";
import http from "node:http";
import path from "node:path";

const root = path.resolve(__dirname, "..");

const cli = new Command("journey")
  .description("deploy → switch the backend version → destroy, with the Pulumi CLI (Automation API, local file backend)")
  .option("--stack <name>", "stack name", "journey")
  .option("--from <version>", "first backend version", "v1")
  .option("--to <version>", "version to switch to", "v2")
  .option("--backend-dir <dir>", "directory of the file backend", path.join(root, ".pulumi-state", "journey"))
  .option("--keep", "keep the stack instead of destroying it at the end", false)
  .parse();
const opts = cli.opts<{ stack: string; from: string; to: string; backendDir: string; keep: boolean }>();

const say = (msg: string) => console.log(`[journey] ${msg}`);

/** A few requests to the gateway, to show which version answers. */
async function sample(url: string, n = 5): Promise<string[]> {
  const one = () => new Promise<string>((resolve) => {
    http.get(url, { agent: false, timeout: 5000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve(`${res.statusCode} ${body.trim()}`));
    }).on("error", (e) => resolve(`error ${e.message}`));
  });
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await one());
  return out;
}

async function upAndShow(stack: Stack, version: string): Promise<OutputMap> {
  await stack.setConfig("backend.version", { value: version });
  say(`pulumi up with backend.version=${version}`);
  const r = await stack.up({ onOutput: (line) => process.stdout.write(line) });
  say(`up: ${r.summary.result} ${JSON.stringify(r.summary.resourceChanges ?? {})}`);
  const gatewayUrl = r.outputs.gatewayUrl?.value as string | undefined;
  if (gatewayUrl) for (const line of await sample(gatewayUrl)) say(`GET ${gatewayUrl} → ${line}`);
  return r.outputs;
}

async function main(): Promise<void> {
  fs.mkdirSync(opts.backendDir, { recursive: true });
  const stack = await LocalWorkspace.createOrSelectStack(
    { stackName: opts.stack, workDir: root },
    {
      secretsProvider: "passphrase",
      envVars: {
        PULUMI_BACKEND_URL: `file://${opts.backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
      },
    },
  );
  say(`stack ${opts.stack} (state in ${opts.backendDir})`);
  try {
    await upAndShow(stack, opts.from);
    // The switch: only the version changes. New containers and keys first; old keys, then old containers, last.
    await upAndShow(stack, opts.to);
  } finally {
    if (!opts.keep) {
      say("pulumi destroy");
      const d = await stack.destroy({ onOutput: (line) => process.stdout.write(line) });
      say(`destroy: ${d.summary.result}`);
    }
  }
}

main().catch((e) => {
  console.error(`[journey] failed: ${(e as Error).message}`);
  process.exit(1);
});
