import { describe, expect, it } from "vitest";
import { buildDesiredState } from "./desired";
import { resolveDesired } from "./resolve";

const desired = () => buildDesiredState("/switchyard", [
  { key: "/switchyard/services/app/upstream/a", value: JSON.stringify({ addr: "app-v1-0:8080" }) },
  { key: "/switchyard/services/app/upstream/b", value: "10.0.0.5:8080" },
  { key: "/switchyard/services/app/upstream/c", value: "gone-host:8080" },
], 7);

describe("resolveDesired", () => {
  it("replaces host names with addresses for the proxy, keeps the key's addr for the status, leaves IPs alone", async () => {
    const asked: string[] = [];
    const { desired: d, unresolved } = await resolveDesired(desired(), async (h) => {
      asked.push(h);
      if (h === "gone-host") throw Object.assign(new Error("not found"), { code: "ENOTFOUND" });
      return "172.20.0.7";
    });
    const eps = Object.fromEntries(d.services[0].endpoints.map((e) => [e.name, e]));
    expect(eps.a).toMatchObject({ host: "172.20.0.7", port: 8080, addr: "app-v1-0:8080" });
    expect(eps.b).toMatchObject({ host: "10.0.0.5", addr: "10.0.0.5:8080" });
    expect(eps.c).toMatchObject({ host: "gone-host", addr: "gone-host:8080" });
    expect(asked.sort()).toEqual(["app-v1-0", "gone-host"]);
    expect(unresolved).toEqual([{ endpoint: "app/c", host: "gone-host", error: "ENOTFOUND" }]);
    expect(d.revision).toBe(7);
  });
});
