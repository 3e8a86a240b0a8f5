import { describe, expect, it } from "vitest";
import { initialHealth, nextHealth } from "./health";

const t = new Date("2026-01-01T00:00:00Z");
const ok = { ok: true };
const bad = { ok: false, reason: "GET / -> 500" };

describe("nextHealth", () => {
  it("turns pending endpoints healthy at the first success", () => {
    expect(nextHealth(initialHealth(t), ok, 2, 2, t).health).toBe("healthy");
  });
  it("needs `fall` consecutive failures to go unhealthy, and `rise` successes to come back", () => {
    let s = nextHealth(initialHealth(t), ok, 2, 2, t);
    s = nextHealth(s, bad, 2, 2, t);
    expect(s.health).toBe("healthy");
    s = nextHealth(s, bad, 2, 2, t);
    expect(s).toMatchObject({ health: "unhealthy", reason: "GET / -> 500" });
    s = nextHealth(s, ok, 2, 2, t);
    expect(s.health).toBe("unhealthy");
    const later = new Date(t.getTime() + 1000);
    s = nextHealth(s, ok, 2, 2, later);
    expect(s).toMatchObject({ health: "healthy", since: later.toISOString() });
    expect(s.reason).toBeUndefined();
  });
});
