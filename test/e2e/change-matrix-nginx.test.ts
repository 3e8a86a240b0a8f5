import { describe } from "vitest";
import { changeMatrix } from "./change-matrix";

// Opt-in (SWITCHYARD_CHANGE_MATRIX=1) until it has passed a whole run: written under a machine load of
// 100-490, it never completed, so it is not yet part of the README test command (README "the change matrix").
describe.skipIf(!process.env.SWITCHYARD_CHANGE_MATRIX)("the change matrix through the nginx gateway", () => changeMatrix("nginx", 21380));
