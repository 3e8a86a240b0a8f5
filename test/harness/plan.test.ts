import { describe, expect, it } from "vitest";
import { deletionOrder, sameInputs } from "./plan";
import type { ResourceRecord } from "./state";

const rec = (urn: string, seq: number, dependencies: string[] = []): ResourceRecord =>
  ({ urn, type: "t", name: urn, custom: true, id: urn, inputs: {}, outputs: {}, dependencies, provider: "", seq });

describe("deletionOrder", () => {
  it("deletes dependents before what they depend on, whatever the creation order", () => {
    const net = rec("net", 1), key = rec("key", 2, ["ctr"]), ctr = rec("ctr", 3, ["net"]);
    expect(deletionOrder([net, key, ctr]).map((r) => r.urn)).toEqual(["key", "ctr", "net"]);
  });
  it("ignores dependencies outside the doomed set and breaks ties newest first", () => {
    expect(deletionOrder([rec("a", 1, ["kept"]), rec("b", 2, ["kept"])]).map((r) => r.urn)).toEqual(["b", "a"]);
  });
  it("terminates on a cycle", () => {
    expect(deletionOrder([rec("a", 1, ["b"]), rec("b", 2, ["a"])])).toHaveLength(2);
  });
});

describe("sameInputs", () => {
  it("treats absent and undefined alike and compares deeply", () => {
    expect(sameInputs({ a: 1, b: undefined }, { a: 1 })).toBe(true);
    expect(sameInputs({ envs: ["A=1"] }, { envs: ["A=2"] })).toBe(false);
  });
});
