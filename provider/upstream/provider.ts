/**
 * The Upstream dynamic provider object: ONE module-level object whose methods delegate to the runtime bundle
 * of provider/upstream/runtime.ts (see provider/bundled.ts for why a bundle).
 */
import { bundledProvider } from "../bundled";

export { buildRuntimeBundle } from "../bundled";

const upstream = bundledProvider(__dirname, "Upstream");

export const upstreamProvider = upstream.provider;
