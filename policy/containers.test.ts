import { describe, expect, it } from "vitest";
import { containerHealthcheck, containerRestartPolicy } from "./containers";
import { container, etcdMember } from "./fixtures";
import { runResourcePolicy } from "./testing";

describe("container-restart-policy (advisory)", () => {
  it("is advisory and passes unless-stopped, always and on-failure:5", async () => {
    expect(containerRestartPolicy.enforcementLevel).toBe("advisory");
    for (const restart of ["unless-stopped", "always", "on-failure:5"]) {
      expect((await runResourcePolicy(containerRestartPolicy, container({ restart }))).violations).toEqual([]);
    }
  });

  it("reports a missing and a \"no\" restart policy", async () => {
    expect((await runResourcePolicy(containerRestartPolicy, container({ restart: undefined }))).violations).toEqual([
      expect.stringContaining('container "sy-app" (resource app) has restart policy not set (Docker\'s default is "no")'),
    ]);
    const no = await runResourcePolicy(containerRestartPolicy, container({ restart: "no" }));
    expect(no.violations).toEqual([expect.stringContaining('has restart policy "no"')]);
    expect(no.violations[0]).toContain('Fix: set restart: "unless-stopped"');
  });

  it("skips one-shot containers", async () => {
    expect((await runResourcePolicy(containerRestartPolicy, container({ restart: undefined, attach: true }))).notApplicable).toMatch(/one-shot/);
  });
});

describe("container-healthcheck (advisory)", () => {
  it("is advisory and passes an exec-form healthcheck", async () => {
    expect(containerHealthcheck.enforcementLevel).toBe("advisory");
    expect((await runResourcePolicy(containerHealthcheck, etcdMember())).violations).toEqual([]);
  });

  it("reports a missing and a disabled healthcheck", async () => {
    expect((await runResourcePolicy(containerHealthcheck, container({ healthcheck: undefined }))).violations).toEqual([
      expect.stringContaining('container "sy-app" (resource app) declares no healthcheck'),
    ]);
    const none = await runResourcePolicy(containerHealthcheck, container({ healthcheck: { tests: ["NONE"] } }));
    expect(none.violations).toEqual([expect.stringContaining('disables its healthcheck (tests = ["NONE"])')]);
    expect(none.violations[0]).toContain('Fix: set healthcheck: { tests: ["CMD"');
  });
});
