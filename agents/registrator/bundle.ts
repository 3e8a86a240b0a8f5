/** Bundles the registrator into one JavaScript file for the image (lib/agent-kit/bundle.ts explains the layout). */
import path from "node:path";
import { bundleAgent } from "../../lib/agent-kit/bundle";

export const REGISTRATOR_ENTRY = "agents/registrator/main.ts";
/** The bundle's path inside the output folder (and under /app in the image). */
export const REGISTRATOR_BUNDLE_FILE = "bin/registrator.js";

/** Writes <outDir>/bin/registrator.js and <outDir>/proto/; returns the bundle's path. */
export function bundleRegistrator(projectRoot: string, outDir: string): string {
  return bundleAgent(projectRoot, REGISTRATOR_ENTRY, outDir, path.basename(REGISTRATOR_BUNDLE_FILE, ".js"));
}
