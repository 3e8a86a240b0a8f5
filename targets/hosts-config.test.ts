import { describe, expect, it } from "vitest";
import { validateConfig } from "../config/validate";
import { endpointProblem, parseMachines } from "./hosts-config";

const lab = [
  "name=etcd address=10.0.0.11 docker=ssh://admin@10.0.0.11",
  "name=gateway address=10.0.0.12 docker=ssh://admin@10.0.0.12:2222",
  "name=backend-1 address=10.0.0.13 docker=tcp://10.0.0.13:2375",
  "name=backend-2 address=b2.lab.example docker=ssh://b2.lab.example",
];

describe("hosts.machines", () => {
  it("parses name, address, endpoint and roles", () => {
    expect(parseMachines(lab, 3)).toEqual({
      machines: [
        { name: "etcd", address: "10.0.0.11", docker: "ssh://admin@10.0.0.11" },
        { name: "gateway", address: "10.0.0.12", docker: "ssh://admin@10.0.0.12:2222" },
        { name: "backend-1", address: "10.0.0.13", docker: "tcp://10.0.0.13:2375" },
        { name: "backend-2", address: "b2.lab.example", docker: "ssh://b2.lab.example" },
      ],
      problems: [],
    });
    expect(parseMachines(["name=vm1 address=10.1.0.1 docker=ssh://u@10.1.0.1 roles=etcd,gateway,backend"], 1).machines[0].roles).toEqual(["etcd", "gateway", "backend"]);
  });

  it.each([
    ["ssh://admin@10.0.0.1", undefined],
    ["unix:///var/run/docker.sock", undefined],
    ["http://10.0.0.1:2375", /is not a Docker endpoint; use ssh:\/\/user@host/],
    ["10.0.0.1", /is not a Docker endpoint/],
    ["tcp://10.0.0.1", /needs a port/],
    ["tcp://me@10.0.0.1:2375", /tcp:\/\/ takes no user/],
    ["ssh://admin@", /is malformed/],
    ["ssh://admin@10.0.0.1:99999", /port 99999, outside 1-65535/],
    ["unix://docker.sock", /absolute socket path/],
  ])("endpoint %s", (endpoint, problem) => {
    const p = endpointProblem(endpoint);
    if (problem) expect(p).toMatch(problem);
    else expect(p).toBeUndefined();
  });

  it.each([
    ["an empty list", [], /hosts.machines is empty: the hosts target needs the machines/],
    ["a malformed endpoint", [...lab.slice(0, 3), "name=backend-2 address=10.0.0.14 docker=10.0.0.14"], /hosts.machines\[3\]: docker '10.0.0.14' is not a Docker endpoint/],
    ["duplicate addresses", [...lab.slice(0, 3), "name=backend-2 address=10.0.0.13 docker=ssh://admin@10.0.0.14"], /backend-1 and backend-2 have the same address 10.0.0.13; every host needs its own address/],
    ["a missing field", ["name=etcd docker=ssh://a@10.0.0.1"], /\[0\] = 'name=etcd docker=ssh:\/\/a@10.0.0.1' has no address=/],
    ["an unknown field", ["name=etcd addr=10.0.0.1"], /'addr' is not a field of a host; the fields are name, address, docker and roles/],
    ["an unknown role", ["name=a address=10.0.0.1 docker=ssh://a@10.0.0.1 roles=etcd,db"], /role db is unknown; roles are etcd, gateway, backend/],
    ["a loopback address", ["name=a address=127.0.0.1 docker=ssh://a@10.0.0.1 roles=etcd,gateway,backend"], /'127.0.0.1' cannot be reached from another machine/],
    ["fewer hosts than members need", lab.slice(0, 3), /3 etcd members need 3 distinct hosts/],
    ["a role nobody has", lab.map((l, i) => `${l} roles=${i === 1 ? "gateway" : "etcd"}`), /no host has the role backend/],
  ])("refuses %s, naming the setting", (_what, entries, message) => {
    expect(parseMachines(entries as string[], 3).problems.join("\n")).toMatch(message);
  });

  it("is checked by validateConfig on the hosts target, which turns etcd TLS on and refuses it off", () => {
    const cfg = validateConfig({ target: "hosts", "hosts.machines": JSON.stringify(lab) }, "switchyard", "lab");
    expect(cfg.hosts?.machines.map((m) => m.name)).toEqual(["etcd", "gateway", "backend-1", "backend-2"]);
    expect(cfg.etcd.tls).toBe(true);
    expect(() => validateConfig({ target: "hosts", "hosts.machines": JSON.stringify(lab.slice(0, 2)) }, "switchyard", "lab")).toThrow(/switchyard:hosts.machines lists 2 hosts/);
    expect(() => validateConfig({ target: "hosts", "hosts.machines": JSON.stringify(lab), "etcd.tls": "false" }, "switchyard", "lab")).toThrow(/etcd.tls = false is not allowed on the hosts target/);
  });
});
