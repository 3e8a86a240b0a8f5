/**
 * Generations: a short hash of a container's spec, computed by the program at declaration time and put in
 * the container's name (and its Pulumi resource name). Any change to what the container runs makes a new
 * name, hence a new resource: Pulumi creates it next to the old one and deletes the old one last, instead
 * of replacing a serving container in place. Only plain values go in — never a container's outputs — so a
 * name is known at preview and no dependent is re-diffed with unknowns (see DESIGN, dependent replacement).
 */
import crypto from "node:crypto";

/** Hex digits of a generation: short enough to read in `docker ps`, long enough never to collide in practice. */
export const GENERATION_LENGTH = 6;

/** JSON with object keys sorted at every level and undefined fields dropped: equal specs, equal text. */
export function canonicalJson(v: unknown): string {
  if (v === undefined) return "null";
  if (v === null || typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${canonicalJson(x)}`).join(",")}}`;
}

/** The generation of a spec: the first GENERATION_LENGTH hex digits of sha256(canonical JSON). Pure. */
export function generationOf(spec: unknown): string {
  return crypto.createHash("sha256").update(canonicalJson(spec)).digest("hex").slice(0, GENERATION_LENGTH);
}
