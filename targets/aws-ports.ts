/**
 * Host ports on an EC2 host for ports that only the stack's own containers dial ("internal" exposure).
 *
 * On aws a container is reached from other hosts at <private IP>:<host port>, so every internal port must be
 * published on a host port that the dialer can compute before the container exists. A fixed port per
 * container port does not work: during a blue-green switch the old and the new backend containers run on the
 * same host at the same time. So the host port is derived from the container's name (which carries the
 * version) and the container port: stable across runs of `pulumi up`, different for blue and green.
 * Collisions between two names of one program are resolved by probing to the next free port. Pure.
 */

/** Internal host ports live here: below Linux's ephemeral range (32768+), above the usual service ports. */
export const INTERNAL_PORT_MIN = 20000;
export const INTERNAL_PORT_MAX = 29999;

/** FNV-1a, 32 bits: small, deterministic, spreads similar names well. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Allocates internal host ports of one host: the same (container, port) always gets the same host port. */
export class InternalPorts {
  private readonly byKey = new Map<string, number>();
  private readonly used = new Set<number>();

  portFor(containerName: string, containerPort: number): number {
    const key = `${containerName}:${containerPort}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const span = INTERNAL_PORT_MAX - INTERNAL_PORT_MIN + 1;
    let offset = fnv1a(key) % span;
    while (this.used.has(INTERNAL_PORT_MIN + offset)) offset = (offset + 1) % span;
    const port = INTERNAL_PORT_MIN + offset;
    this.byKey.set(key, port);
    this.used.add(port);
    return port;
  }
}
