/**
 * The Route dynamic provider object: ONE module-level object whose methods delegate to the runtime bundle of
 * provider/route/runtime.ts (see provider/bundled.ts for why a bundle).
 */
import { bundledProvider } from "../bundled";

export const routeProvider = bundledProvider(__dirname, "Route").provider;
