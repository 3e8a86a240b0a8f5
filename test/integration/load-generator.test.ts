/** The load generator against a real server that fails on purpose: every failure must be counted. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startLoad } from "../../bench/load";
import { waitFor } from "../helpers/ports";

let server: http.Server;
let n = 0;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    n++;
    if (n % 10 === 0) { res.writeHead(503).end("no"); return; }
    if (n % 25 === 0) { req.socket.destroy(); return; }
    res.end(`v${n % 2} c\n`);
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it("records every request, with 503s and resets counted as failures", async () => {
  const load = startLoad({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, connections: 4 });
  // Until the server has answered 120 requests (503s and resets among them), however long that takes.
  await waitFor("the server to see 120 requests", async () => n >= 120, 30_000, 10);
  const s = await load.stop();
  expect(s.total).toBe(n);
  const expected503 = Math.floor(n / 10);
  const expectedResets = Array.from({ length: n }, (_, i) => i + 1).filter((k) => k % 25 === 0 && k % 10 !== 0).length;
  expect(s.failures["status 503"]).toBe(expected503);
  expect(s.failed).toBe(expected503 + expectedResets); // every reset counted, each once
  expect(s.records.filter((r) => r.ok).every((r) => /^v[01] c$/.test(r.body ?? ""))).toBe(true);
});
