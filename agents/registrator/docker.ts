/**
 * The Docker edge: lists the running labelled containers (with inspect, cached until an event says the
 * container changed) and follows the container event stream, reconnecting with backoff when it breaks.
 * It decides nothing: it reports facts and "something changed"; the registrator reconciles.
 */
import Docker from "dockerode";
import { EventEmitter } from "node:events";
import readline from "node:readline";
import type { Logger } from "../../lib/log";
import { factsFromInspect, type ContainerFacts, type InspectLike } from "./labels";

/** Container event actions that can change what is registered. */
export const RELEVANT_ACTIONS = new Set(["start", "restart", "die", "stop", "kill", "destroy", "pause", "unpause", "health_status", "rename", "update", "oom"]);

/** "health_status: healthy" → "health_status". */
export const eventVerb = (action: string) => action.split(":")[0].trim();

/**
 * Kill signals that mean "this container is going away" (what `docker stop` and a daemon shutdown send):
 * its key goes at the kill, not seconds later at the exit, so traffic drains while it shuts down.
 * SIGTERM, SIGINT, SIGQUIT, SIGKILL.
 */
export const TERMINATING_SIGNALS = new Set(["15", "2", "3", "9", "SIGTERM", "SIGINT", "SIGQUIT", "SIGKILL"]);

/**
 * What one event tells about its container, so that keys can still be removed while the Docker API cannot
 * be asked (a daemon shutting down removes its socket first, then stops the containers for up to 10 s while
 * the open event stream still reports every kill and die).
 */
export function eventEffect(action: string, attributes: Record<string, string> = {}): "down" | "up" | "unhealthy" | "healthy" | "none" {
  const verb = eventVerb(action);
  if (verb === "die" || verb === "stop" || verb === "destroy" || verb === "pause" || verb === "oom") return "down";
  if (verb === "kill") return TERMINATING_SIGNALS.has(String(attributes.signal ?? "")) ? "down" : "none";
  if (verb === "start" || verb === "restart" || verb === "unpause") return "up";
  if (verb === "health_status") return action.includes("unhealthy") ? "unhealthy" : action.includes("healthy") ? "healthy" : "none";
  return "none";
}

export function dockerOptions(url: string, timeoutMs?: number): Docker.DockerOptions {
  const timeout = timeoutMs ? { timeout: timeoutMs } : {};
  if (url.startsWith("unix://")) return { socketPath: url.slice("unix://".length) || "/var/run/docker.sock", ...timeout };
  if (url.startsWith("/")) return { socketPath: url, ...timeout };
  const u = new URL(url.includes("://") ? url.replace(/^tcp:/, "http:") : `http://${url}`);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`docker host '${url}' must be unix:///path or tcp://host:port`);
  return { host: u.hostname, port: Number(u.port || 2375), protocol: u.protocol.slice(0, -1) as "http" | "https", ...timeout };
}

export interface ContainerEvent {
  id: string;
  action: string;
  labelled: boolean;
}

export interface DockerSourceOptions {
  url: string;
  serviceLabel: string;
  log: Logger;
  requestTimeoutMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/**
 * Events: 'connected' (event stream (re)established: time to resync), 'disconnected' (err),
 * 'event' (ContainerEvent for a labelled container and a relevant action).
 */
export class DockerSource extends EventEmitter {
  /** For list and inspect: bounded, so a hung daemon cannot stall reconciles forever. */
  private readonly api: Docker;
  /** For the event stream: no idle timeout, the stream is quiet when nothing happens. */
  private readonly stream: Docker;
  private readonly cache = new Map<string, ContainerFacts>();
  /** Event sequence numbers: an inspect that started before the latest event of its container is not cached. */
  private seq = 0;
  private clearedAt = 0;
  private readonly touchedAt = new Map<string, number>();
  /** Containers an event reported going away (terminating kill, die, stop, …) and no event brought back. */
  private readonly down = new Set<string>();
  /** The last successful listing, kept current by events: the fallback while the daemon cannot be asked. */
  private lastKnown: Map<string, ContainerFacts> | undefined;
  private current: NodeJS.ReadableStream | undefined;
  private stopped = false;
  private connected = false;
  private failures = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(private readonly o: DockerSourceOptions) {
    super();
    this.api = new Docker(dockerOptions(o.url, o.requestTimeoutMs ?? 5000));
    this.stream = new Docker(dockerOptions(o.url));
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Forgets every cached inspect (a full resync re-reads every container). */
  forget(): void {
    this.cache.clear();
    this.clearedAt = ++this.seq;
  }

  /** After a break in the event stream, what events told is stale: the next listing is the whole truth. */
  private forgetEventKnowledge(): void {
    this.forget();
    this.down.clear();
  }

  private touch(id: string): void {
    this.cache.delete(id);
    this.touchedAt.set(id, ++this.seq);
  }

  /**
   * The last listing adjusted by the events since (containers reported going away removed, health changes
   * applied); undefined before the first successful listing.
   */
  lastKnownRunning(): ContainerFacts[] | undefined {
    return this.lastKnown ? [...this.lastKnown.values()] : undefined;
  }

  /** The running labelled containers, as facts, minus those an event already reported going away. */
  async runningLabelled(): Promise<ContainerFacts[]> {
    const result = (await this.listAndInspect()).filter((f) => !this.down.has(f.id));
    this.lastKnown = new Map(result.map((f) => [f.id, f]));
    return result;
  }

  /**
   * Bounds a Docker API call. docker-modem's own timeout cannot end a call whose response was cut off
   * mid-body (the promise would never settle and would stall every later reconcile), so we race it.
   */
  private deadline<T>(what: string, call: Promise<T>): Promise<T> {
    const ms = this.o.requestTimeoutMs ?? 5000;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Docker API ${what} did not answer within ${ms} ms`)), ms);
    });
    return Promise.race([call, expired]).finally(() => clearTimeout(timer));
  }

  private async listAndInspect(): Promise<ContainerFacts[]> {
    const started = this.seq;
    const list = await this.deadline("list containers", this.api.listContainers({ filters: { label: [this.o.serviceLabel], status: ["running"] } }));
    const ids = new Set(list.map((c) => c.Id));
    for (const id of this.down) if (!ids.has(id)) this.down.delete(id);
    for (const id of this.cache.keys()) if (!ids.has(id)) this.cache.delete(id);
    for (const [id, at] of this.touchedAt) if (!ids.has(id) && at <= started) this.touchedAt.delete(id);
    const facts = await Promise.all(list.map(async (c) => {
      const cached = this.cache.get(c.Id);
      if (cached) return cached;
      try {
        const f = factsFromInspect((await this.deadline(`inspect ${c.Id.slice(0, 12)}`, this.api.getContainer(c.Id).inspect())) as unknown as InspectLike);
        // An event during the inspect may mean this answer is already stale: use it once, do not keep it.
        if ((this.touchedAt.get(c.Id) ?? 0) <= started && this.clearedAt <= started) this.cache.set(c.Id, f);
        return f;
      } catch (err) {
        // Removed between list and inspect: it is simply not running any more.
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
      }
    }));
    return facts.filter((f): f is ContainerFacts => f !== undefined);
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const s = this.current as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    s?.destroy?.();
    this.current = undefined;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const s = (await this.stream.getEvents({ filters: { type: ["container"] } })) as NodeJS.ReadableStream;
      if (this.stopped) {
        (s as unknown as { destroy?: () => void }).destroy?.();
        return;
      }
      this.current = s;
      this.failures = 0;
      this.connected = true;
      // Events that happened while the stream was down are lost: the listener resyncs on 'connected'.
      this.forgetEventKnowledge();
      this.emit("connected");
      let ended = false;
      const onEnd = (err?: Error) => {
        if (ended) return;
        ended = true;
        this.onBroken(err ?? new Error("Docker event stream ended (daemon stopped or restarted?)"));
      };
      s.on("end", () => onEnd());
      s.on("close", () => onEnd());
      s.on("error", (err: Error) => onEnd(err));
      // readline re-emits the input's errors on itself: without a listener there, a cut-off stream (daemon
      // stopped) would become an uncaught exception and the listeners above would never run.
      const lines = readline.createInterface({ input: s, crlfDelay: Infinity });
      lines.on("line", (line) => this.onLine(line));
      lines.on("error", (err: Error) => onEnd(err));
    } catch (err) {
      this.onBroken(err as Error);
    }
  }

  private onLine(line: string): void {
    if (!line.trim()) return;
    let ev: { Type?: string; Action?: string; Actor?: { ID?: string; Attributes?: Record<string, string> }; id?: string };
    try {
      ev = JSON.parse(line);
    } catch {
      this.o.log.warn({ line: line.slice(0, 200) }, "unparsable Docker event skipped");
      return;
    }
    const id = ev.Actor?.ID ?? ev.id;
    const action = ev.Action ?? "";
    if (ev.Type !== "container" || !id) return;
    this.touch(id);
    if (!RELEVANT_ACTIONS.has(eventVerb(action))) return;
    const attributes = ev.Actor?.Attributes ?? {};
    const labelled = attributes[this.o.serviceLabel] !== undefined;
    if (!labelled) return;
    const effect = eventEffect(action, attributes);
    if (effect === "down") {
      this.down.add(id);
      this.lastKnown?.delete(id);
    } else if (effect === "up") {
      this.down.delete(id);
    } else if (effect === "unhealthy" || effect === "healthy") {
      const known = this.lastKnown?.get(id);
      if (known) this.lastKnown!.set(id, { ...known, health: effect });
    }
    this.emit("event", { id, action, labelled } satisfies ContainerEvent);
  }

  private onBroken(err: Error): void {
    this.current = undefined;
    const wasConnected = this.connected;
    this.connected = false;
    if (this.stopped) return;
    this.failures++;
    const delay = Math.min(this.o.maxBackoffMs ?? 5000, (this.o.initialBackoffMs ?? 100) * 2 ** Math.min(this.failures - 1, 16));
    this.emit("disconnected", err, delay, wasConnected);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, delay);
  }
}
