/**
 * The EtcdAccess dynamic provider object: ONE module-level object whose methods delegate to the runtime bundle
 * of provider/access/runtime.ts (see provider/bundled.ts for why a bundle).
 */
import { bundledProvider } from "../bundled";

export const accessProvider = bundledProvider(__dirname, "Access").provider;
