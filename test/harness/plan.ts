/** Pure decisions of the harness: whether inputs changed, and in which order to delete. */
import { isDeepStrictEqual } from "node:util";
import type { ResourceRecord } from "./state";

/** Inputs compared as the engine sees them: undefined and absent are the same. */
export function sameInputs(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return isDeepStrictEqual(JSON.parse(JSON.stringify(a)), JSON.parse(JSON.stringify(b)));
}

/**
 * Deletion order for `doomed`: a resource goes only after every doomed resource that depends on it
 * (dependents first); ties go newest first, the reverse of creation. Dependencies outside the set are
 * ignored (they stay).
 */
export function deletionOrder(doomed: ResourceRecord[]): ResourceRecord[] {
  const remaining = [...doomed].sort((a, b) => b.seq - a.seq);
  const order: ResourceRecord[] = [];
  while (remaining.length) {
    const next = remaining.findIndex((r) => !remaining.some((o) => o !== r && o.dependencies.includes(r.urn)));
    // A dependency cycle cannot come from a program; fall back to reverse creation order rather than hang.
    const i = next === -1 ? 0 : next;
    order.push(remaining[i]);
    remaining.splice(i, 1);
  }
  return order;
}
