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

describe("HealthChecker", () => {
  const target = (i: number, addr = `10.0.${i >> 8}.${i & 255}:80`) => {
    const [host, port] = addr.split(":");
    return { id: `app/e${i}`, addr, host, port: Number(port), path: "/healthz" };
  };

  it("probes endpoints that share an address and path once, and gives each of them the verdict", async () => {
    const { HealthChecker } = await import("./health");
    const probed: string[] = [];
    const h = new HealthChecker({ intervalMs: 1000, timeoutMs: 100, rise: 1, fall: 1, onChange: () => undefined, probe: async (t) => (probed.push(`${t.host}:${t.port}`), { ok: true }) });
    await h.setTargets([target(1, "10.0.0.9:80"), target(2, "10.0.0.9:80"), target(3)]);
    expect(probed.sort()).toEqual(["10.0.0.3:80", "10.0.0.9:80"]);
    expect([1, 2, 3].map((i) => h.get(`app/e${i}`, i === 3 ? "10.0.0.3:80" : "10.0.0.9:80").health)).toEqual(["healthy", "healthy", "healthy"]);
  });

  it("never has more than maxInFlight probes open, even for 1,000 new targets at once", async () => {
    const { HealthChecker } = await import("./health");
    let open = 0;
    let most = 0;
    const h = new HealthChecker({
      intervalMs: 1000, timeoutMs: 100, rise: 1, fall: 1, onChange: () => undefined, maxInFlight: 16,
      probe: async () => {
        most = Math.max(most, ++open);
        await new Promise((r) => setTimeout(r, 1));
        open--;
        return { ok: true };
      },
    });
    await h.setTargets(Array.from({ length: 1000 }, (_, i) => target(i)));
    expect(most).toBe(16);
    expect(h.get("app/e999", "10.0.3.231:80").health).toBe("healthy");
  });

  it("spreads a round over the interval instead of one burst", async () => {
    const { probesPerTick } = await import("./health");
    expect(probesPerTick(10_000, 1000, 25)).toBe(250);
    expect(probesPerTick(3, 1000, 25)).toBeCloseTo(0.075);
    expect(probesPerTick(0, 1000, 25)).toBe(0);
  });
});
