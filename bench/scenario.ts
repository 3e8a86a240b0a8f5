/**
 * The benchmark contract. Every file in bench/scenarios/ exports `scenarios: Scenario[]`; `npm run bench`
 * lists them and `npm run bench -- <name>` runs one and writes bench/results/<name>.json as
 * {"scenario", "metrics": {name: number}, "at", "host": {"cpus", "node"}} (plus optional "series" for plots).
 */
export interface ScenarioContext {
  /** Where a scenario may write extra artefacts (plots, raw samples): bench/results/. */
  resultsDir: string;
  log(message: string): void;
}

export interface ScenarioResult {
  metrics: Record<string, number>;
  /** Optional raw data (time series) kept in the JSON for plotting. */
  series?: Record<string, unknown>;
  /** Files the scenario wrote next to the JSON (e.g. an SVG plot), relative to resultsDir. */
  artefacts?: string[];
}

export interface Scenario {
  name: string;
  description: string;
  run(ctx: ScenarioContext): Promise<ScenarioResult>;
}
