/**
 * A keep-alive HTTP load generator that records every request, for the switchover test and benchmarks:
 * `connections` loops, each with its own persistent connection, issue GETs back to back until stopped.
 * Every request counts: a non-2xx status, a reset, a timeout — each is a failure with its reason. Unlike
 * wrk, it keeps each response's first line (the backend's version) and the time, for timelines.
 */
import http from "node:http";

export interface RequestRecord {
  /** Milliseconds since the load started, at completion. */
  t: number;
  /** Milliseconds since the load started, when the request was issued. */
  started?: number;
  ok: boolean;
  status?: number;
  /** First line of the body (the demo backend answers "<version> <container>"). */
  body?: string;
  error?: string;
}

export interface LoadOptions {
  url: string;
  connections?: number;
  /** Per-request timeout; a request that takes longer counts as failed. */
  timeoutMs?: number;
  headers?: Record<string, string>;
}

export interface LoadRun {
  readonly startedAt: number;
  readonly records: RequestRecord[];
  /** Stops issuing requests and waits for those in flight. */
  stop(): Promise<LoadSummary>;
}

export interface LoadSummary {
  total: number;
  failed: number;
  durationMs: number;
  /** Failures grouped by reason ("status 502", "ECONNRESET", ...). */
  failures: Record<string, number>;
  records: RequestRecord[];
}

export function summarize(records: RequestRecord[], durationMs: number): LoadSummary {
  const failures: Record<string, number> = {};
  for (const r of records) if (!r.ok) failures[r.error ?? `status ${r.status}`] = (failures[r.error ?? `status ${r.status}`] ?? 0) + 1;
  return { total: records.length, failed: records.filter((r) => !r.ok).length, durationMs, failures, records };
}

function once(agent: http.Agent, o: LoadOptions, startedAt: number): Promise<RequestRecord> {
  const started = Date.now() - startedAt;
  return new Promise((resolve) => {
    const done = (r: Omit<RequestRecord, "t" | "started">) => resolve({ t: Date.now() - startedAt, started, ...r });
    const req = http.get(o.url, { agent, headers: o.headers, timeout: o.timeoutMs ?? 5000 }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => { if (body.length < 200) body += c; });
      res.on("end", () => {
        const status = res.statusCode ?? 0;
        done({ ok: status >= 200 && status < 300, status, body: body.split("\n")[0].trim() });
      });
      res.on("error", (e: NodeJS.ErrnoException) => done({ ok: false, status: res.statusCode, error: e.code ?? e.message }));
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "TIMEOUT" })));
    req.on("error", (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code ?? e.message }));
  });
}

export function startLoad(o: LoadOptions): LoadRun {
  const connections = o.connections ?? 16;
  const startedAt = Date.now();
  const records: RequestRecord[] = [];
  let running = true;
  const loops = Array.from({ length: connections }, async () => {
    // One agent per loop with one socket: each loop is one keep-alive client, like a wrk connection.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      while (running) records.push(await once(agent, o, startedAt));
    } finally {
      agent.destroy();
    }
  });
  return {
    startedAt,
    records,
    async stop() {
      running = false;
      await Promise.all(loops);
      return summarize(records, Date.now() - startedAt);
    },
  };
}
