import { describe, expect, it } from "vitest";
import { buildDesiredState } from "../desired";
import { buildProxyView } from "../view";
import { planRuntime, runtimeError, stateFromView } from "./haproxy-runtime";

const view = (eps: Record<string, string>, unhealthy: string[] = []) =>
  buildProxyView(buildDesiredState("/sy", Object.entries(eps).map(([n, a]) => ({ key: `/sy/services/app/upstream/${n}`, value: a })), 1), (id) => ({ health: unhealthy.includes(id) ? "unhealthy" : "healthy" }), []);

const commands = (from: ReturnType<typeof view>, to: ReturnType<typeof view>) => planRuntime(stateFromView(from), to).map((o) => o.command);

describe("planRuntime", () => {
  it("adds new servers (created in maintenance) and enables them", () => {
    expect(commands(view({ a: "127.0.0.1:1" }), view({ a: "127.0.0.1:1", b: "127.0.0.1:2" }))).toEqual(["add server sy_app/b 127.0.0.1:2 weight 1", "enable server sy_app/b"]);
  });
  it("puts unhealthy servers in maintenance and back", () => {
    const two = { a: "127.0.0.1:1", b: "127.0.0.1:2" };
    expect(commands(view(two), view(two, ["app/a"]))).toEqual(["disable server sy_app/a"]);
    expect(commands(view(two, ["app/a"]), view(two))).toEqual(["enable server sy_app/a"]);
  });
  it("moves a server to a new address through maintenance", () => {
    expect(commands(view({ a: "127.0.0.1:1" }), view({ a: "127.0.0.2:9" }))).toEqual(["disable server sy_app/a", "set server sy_app/a addr 127.0.0.2 port 9", "enable server sy_app/a"]);
  });
  it("deletes removed servers after maintenance, forcing sessions closed only after repeated failures", () => {
    const state = stateFromView(view({ a: "127.0.0.1:1", b: "127.0.0.1:2" }));
    const ops = planRuntime(state, view({ a: "127.0.0.1:1" }));
    expect(ops.map((o) => o.command)).toEqual(["disable server sy_app/b", "del server sy_app/b"]);
    expect(ops[1].mayFail).toBe(true);
    state.get("sy_app/b")!.enabled = false;
    state.get("sy_app/b")!.delFailures = 5;
    expect(planRuntime(state, view({ a: "127.0.0.1:1" })).map((o) => o.command)).toEqual(["shutdown sessions server sy_app/b", "del server sy_app/b"]);
  });
  it("applies ops to the state so that a second plan is empty", () => {
    const state = stateFromView(view({ a: "127.0.0.1:1" }));
    const target = view({ b: "127.0.0.1:2" });
    for (const op of planRuntime(state, target)) op.apply(state);
    expect(planRuntime(state, target)).toEqual([]);
  });
});

describe("runtimeError", () => {
  it("recognises haproxy's success and error prose", () => {
    expect(runtimeError("add server x/y 1.2.3.4:5", "New server registered.\n")).toBeUndefined();
    expect(runtimeError("enable server x/y", "\n")).toBeUndefined();
    expect(runtimeError("del server x/y", "Server still has connections attached to it, cannot remove it.\n")).toMatch(/cannot remove/);
    expect(runtimeError("enable server x/y", "No such server.\n")).toMatch(/No such/);
    expect(runtimeError("set server x/y addr 1.2.3.4 port 5", "IP changed from '1.1.1.1' to '1.2.3.4', port changed from '1' to '5' by 'stats socket command'\n")).toBeUndefined();
  });
});
