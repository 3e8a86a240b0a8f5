/**
 * The harness's stack state: what a Pulumi checkpoint holds, reduced to what the harness needs. One record
 * per resource URN, with its inputs (to diff the next run), outputs (returned when unchanged) and the URNs it
 * depends on (input deps, dependsOn, parent, provider) to order deletions. Plain JSON, secrets in clear text.
 */
import fs from "node:fs";
import path from "node:path";

export interface ResourceRecord {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  id: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  dependencies: string[];
  /** The provider reference's URN, or "" for the default provider. */
  provider: string;
  /** Creation order, to break ties deterministically. */
  seq: number;
}

export interface StackState {
  version: 1;
  resources: ResourceRecord[];
  outputs: Record<string, unknown>;
}

export function loadState(file: string): StackState {
  if (!fs.existsSync(file)) return { version: 1, resources: [], outputs: {} };
  return JSON.parse(fs.readFileSync(file, "utf8")) as StackState;
}

export function saveState(file: string, state: StackState): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, file);
}
