import { describe, expect, it } from "vitest";
import { summarize } from "./load";

describe("summarize", () => {
  it("counts every non-2xx and every error as a failure, grouped by reason", () => {
    const s = summarize([
      { t: 1, ok: true, status: 200, body: "v1 a" },
      { t: 2, ok: false, status: 502 },
      { t: 3, ok: false, error: "ECONNRESET" },
      { t: 4, ok: false, status: 502 },
    ], 10);
    expect(s).toMatchObject({ total: 4, failed: 3, failures: { "status 502": 2, ECONNRESET: 1 } });
  });
});
