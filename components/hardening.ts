/**
 * Least privilege for every container the program runs (README "Security model"): all capabilities dropped,
 * only the ones a container needs added back, and no-new-privileges (a setuid binary in the image cannot
 * regain what was dropped). The policy pack's `container-least-privilege` checks the same on every container.
 */
import type * as docker from "@pulumi/docker";

/** Private key uploads: readable by their owner only (the provider's default is 0644). */
export const KEY_FILE_MODE = "0600";

/**
 * The capabilities a proxy's master needs to run its workers as their own user (nginx `user`, haproxy
 * `user/group`): switch to that user (SETUID, SETGID), hand it its temp directories (CHOWN), and signal the
 * workers, which then belong to another user (KILL).
 */
export const PROXY_MASTER_CAPABILITIES = ["CHOWN", "SETUID", "SETGID", "KILL"];

export function leastPrivilege(adds: string[] = []): Pick<docker.ContainerArgs, "capabilities" | "securityOpts"> {
  return {
    capabilities: { drops: ["ALL"], ...(adds.length ? { adds } : {}) },
    securityOpts: ["no-new-privileges:true"],
  };
}
