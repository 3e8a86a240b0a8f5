/**
 * The planned steps of a change, under mocks: the program runs with the config before and after, and the
 * difference is what `pulumi up` would do — resources only after (created), only before (deleted), in both
 * with other inputs (changed in place: a replacement for a container). Components are left out: nothing to
 * realize. Used by test/change-plan.test.ts (the change matrix) and test/program-services.test.ts.
 */
import { sameInputs } from "../harness/plan";
import type { ProgramRun } from "./pulumi-program";

export interface Plan { created: string[]; deleted: string[]; changed: string[] }

/** What an up from `before` to `after` does, by resource name. */
export function plan(before: ProgramRun, after: ProgramRun): Plan {
  const custom = (r: ProgramRun) => new Map(r.resources.filter((x) => !x.type.startsWith("switchyard:")).map((x) => [x.urn, x]));
  const b = custom(before);
  const a = custom(after);
  return {
    created: [...a.keys()].filter((u) => !b.has(u)).map((u) => a.get(u)!.name).sort(),
    deleted: [...b.keys()].filter((u) => !a.has(u)).map((u) => b.get(u)!.name).sort(),
    changed: [...a.keys()].filter((u) => b.has(u) && !sameInputs(b.get(u)!.inputs, a.get(u)!.inputs)).map((u) => a.get(u)!.name).sort(),
  };
}
