import type { ProxyView } from "../view";

/** Where an apply failed; becomes a metrics label and part of the status' lastError. */
export type ApplyStage = "render" | "validate" | "reload" | "runtime" | "start";

export class ApplyError extends Error {
  constructor(readonly stage: ApplyStage, message: string) {
    super(message);
    this.name = "ApplyError";
  }
}

/** One server as the running proxy routes it (read back from the proxy itself, not from our memory). */
export interface RoutedServer {
  /** ServiceView.backend (view.ts backendName). */
  backend: string;
  /** Endpoint name. */
  server: string;
  host: string;
  port: number;
  /** Takes new requests. */
  enabled: boolean;
  weight?: number;
}

/** What a proxy left running by a previous agent routes, read when the new agent adopts it. */
export interface AdoptedProxy {
  /** structureKey of the config it runs, when known (then the first apply needs no reload). */
  structure?: string;
  servers: RoutedServer[];
}

/**
 * One proxy (nginx or haproxy) run and changed by the agent. Both apply methods get the whole view
 * (level-triggered) and either apply all of it or throw an ApplyError leaving the running proxy on its last
 * good config. The structure path is the shared pipeline (pipeline.ts); membership is each kind's own.
 */
export interface ProxyDriver {
  readonly kind: "nginx" | "haproxy";
  /** The running proxy's routing, when this driver adopted a proxy a previous agent left running. */
  adopt(): Promise<AdoptedProxy | undefined>;
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
