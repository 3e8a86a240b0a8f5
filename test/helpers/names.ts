/** Names as tests compare them. */

/**
 * A backend resource, container or key name without its generation hash ("app-v1-3fa2c1-local-0" ->
 * "app-v1-local-0"): for listings whose generation a test does not pin.
 */
export const withoutGeneration = (name: string) => name.replace(/-(v[^-/]*)-[0-9a-f]{6}-/, "-$1-");
