import type { ProxyView } from "../view";

/** Where an apply failed; becomes a metrics label and part of the status' lastError. */
export type ApplyStage = "render" | "validate" | "reload" | "runtime" | "start";

export class ApplyError extends Error {
  constructor(readonly stage: ApplyStage, message: string) {
    super(message);
    this.name = "ApplyError";
  }
}

/**
 * One proxy (nginx or haproxy) run and changed by the agent. Both methods get the whole view (level-triggered)
 * and either apply all of it or throw an ApplyError leaving the running proxy on its last good config.
 */
export interface ProxyDriver {
  readonly kind: "nginx" | "haproxy";
  /** Render + validate + atomic swap + start or graceful reload; also applies the view's membership. */
  applyStructure(view: ProxyView): Promise<void>;
  /** Membership only (which endpoints take new requests), without a reload. */
  applyMembership(view: ProxyView): Promise<void>;
  /** True while runtime work is left to retry (e.g. a drained server haproxy could not delete yet). */
  pendingWork?(): boolean;
  /** True while the proxy process is up. */
  running(): boolean;
  /** Called after the proxy died unexpectedly and was restarted on its last good config. */
  onRestart?: () => void;
  stop(): Promise<void>;
}
