/**
 * Benchmark runner. `npm run bench` lists the scenarios; `npm run bench -- <name> [<name>...]` runs them and
 * writes bench/results/<name>.json: {"scenario", "metrics": {name: number}, "at", "host": {"cpus", "node"}}.
 * Scenarios live in bench/scenarios/*.ts (each exports `scenarios: Scenario[]`), one file per area.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import type { Scenario } from "./scenario";

const SCENARIO_DIR = path.join(__dirname, "scenarios");
const RESULTS_DIR = path.join(__dirname, "results");

export function loadScenarios(): Scenario[] {
  const found: Scenario[] = [];
  for (const file of fs.readdirSync(SCENARIO_DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort()) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(path.join(SCENARIO_DIR, file)) as { scenarios?: Scenario[] };
    found.push(...(mod.scenarios ?? []));
  }
  return found;
}

export function formatTable(rows: [string, string][]): string {
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join("\n");
}

async function runOne(s: Scenario): Promise<void> {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const started = Date.now();
  console.log(`== ${s.name}: ${s.description}`);
  const result = await s.run({ resultsDir: RESULTS_DIR, log: (m) => console.log(`   ${m}`) });
  const record = {
    scenario: s.name,
    metrics: result.metrics,
    at: new Date().toISOString(),
    host: { cpus: os.cpus().length, node: process.version },
    durationSeconds: Math.round((Date.now() - started) / 100) / 10,
    ...(result.series ? { series: result.series } : {}),
    ...(result.artefacts ? { artefacts: result.artefacts } : {}),
  };
  const file = path.join(RESULTS_DIR, `${s.name}.json`);
  fs.writeFileSync(file, JSON.stringify(record, null, 2) + "\n");
  console.log(formatTable(Object.entries(result.metrics).map(([k, v]) => [k, Number.isInteger(v) ? String(v) : v.toFixed(3)])));
  console.log(`   -> ${path.relative(process.cwd(), file)}${result.artefacts?.length ? `, ${result.artefacts.join(", ")}` : ""}`);
}

async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name("npm run bench --")
    .description("Run switchyard benchmarks on real processes; results go to bench/results/<scenario>.json")
    .argument("[scenarios...]", "scenario names to run (none: list them)")
    .action(async (names: string[]) => {
      const all = loadScenarios();
      if (names.length === 0) {
        console.log("Scenarios (run one with: npm run bench -- <name>):");
        console.log(formatTable(all.map((s) => [s.name, s.description])));
        return;
      }
      const unknown = names.filter((n) => !all.some((s) => s.name === n));
      if (unknown.length) {
        throw new Error(`unknown scenario(s): ${unknown.join(", ")}. Known: ${all.map((s) => s.name).join(", ")}`);
      }
      for (const n of names) await runOne(all.find((s) => s.name === n)!);
    });
  await program.parseAsync(argv);
}

if (require.main === module) {
  main(process.argv).then(
    () => process.exit(0),
    (e: Error) => {
      console.error(`bench: ${e.message}`);
      process.exit(1);
    },
  );
}
