import { describe, expect, it } from "vitest";
import { ok, problems } from "../test/helpers/config";
import { nearestField } from "./services";

const services = (list: unknown, extra: Record<string, string> = {}) => ({ services: JSON.stringify(list), ...extra });

/** 004's two domains: a.b.com with two servers and cookie stickiness, b.b.com with one. */
const TWO = [
  { name: "a", hosts: ["a.b.com"], replicas: 2, sticky: true },
  { name: "b", hosts: ["b.b.com"], replicas: 1, default: true },
];

describe("services", () => {
  it("empty: the one service of backend.* (the shorthand), which is the default", () => {
    expect(ok({ "backend.version": "v3", "backend.service": "web" }).services).toEqual([
      { name: "web", version: "v3", replicas: 2, port: 8080, healthPath: "/healthz", env: [], hosts: [], default: true, sticky: false, adoptRoute: false },
    ]);
  });

  it("two services: each field from its entry, or from backend.* when left out", () => {
    const c = ok(services(TWO, { "backend.version": "v7", "backend.port": "9000" }));
    expect(c.services).toEqual([
      { name: "a", version: "v7", replicas: 2, port: 9000, healthPath: "/healthz", env: [], hosts: ["a.b.com"], default: false, sticky: true, adoptRoute: false },
      { name: "b", version: "v7", replicas: 1, port: 9000, healthPath: "/healthz", env: [], hosts: ["b.b.com"], default: true, sticky: false, adoptRoute: false },
    ]);
  });

  it("accepts numbers and booleans as text (pulumi config set --path stores them so), hosts in any case", () => {
    const c = ok(services([{ name: "a", replicas: "3", sticky: "true", hosts: ["A.B.com"], image: "nginx:1.25", version: "2.0" }]));
    expect(c.services[0]).toMatchObject({ replicas: 3, sticky: true, hosts: ["a.b.com"], image: "nginx:1.25", version: "2.0", default: true });
  });

  it("a single entry is the default unless it says otherwise", () => {
    expect(ok(services([{ name: "a" }])).services[0].default).toBe(true);
    expect(ok(services([{ name: "a", default: false }])).services[0].default).toBe(false);
  });

  it("duplicate names: one message naming both entries and the fix", () => {
    expect(problems(services([{ name: "a" }, { name: "b" }, { name: "a" }]))).toEqual([
      "switchyard:services[2].name = 'a' is already the name of services[0]; service names must be unique (rename one of them)",
    ]);
  });

  it("a host claimed by two services (in any case)", () => {
    expect(problems(services([{ name: "a", hosts: ["a.b.com"] }, { name: "b", hosts: ["A.b.com", "b.b.com"] }]))).toEqual([
      "switchyard:services[1].hosts claims 'a.b.com', which services[0] ('a') claims too; a host is routed to one service (remove it from one of them)",
    ]);
  });

  it("two defaults", () => {
    expect(problems(services([{ name: "a", default: true }, { name: "b" }, { name: "c", default: true }]))).toEqual([
      "switchyard:services[0].default and switchyard:services[2].default are all true; only one service takes the requests for unknown hosts (set default: false on all but one, e.g. pulumi config set --path 'services[2].default' false)",
    ]);
  });

  it.each([
    ["bad name", /switchyard:services\[0\].name = "bad name" cannot be an etcd key segment or part of a container name/],
    ["a/b", /switchyard:services\[0\].name = "a\/b" cannot be an etcd key segment/],
    ["-a", /switchyard:services\[0\].name = "-a" cannot be/],
    ["", /switchyard:services\[0\].name = "" cannot be .*service name is empty/],
  ])("an invalid name %j", (name, message) => {
    const p = problems(services([{ name }]));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatch(message);
    expect(p[0]).toContain("pulumi config set --path 'services[0].name' web");
  });

  it("unknown fields, with the nearest known name", () => {
    expect(problems(services([{ name: "a", replica: 2, host: ["a.b.com"], stiky: true, colour: "blue" }]))).toEqual([
      "switchyard:services[0].replica is not a field of a service; did you mean replicas? (fields: name, version, image, replicas, port, healthPath, env, hosts, default, sticky, adoptRoute)",
      "switchyard:services[0].host is not a field of a service; did you mean hosts? (fields: name, version, image, replicas, port, healthPath, env, hosts, default, sticky, adoptRoute)",
      "switchyard:services[0].stiky is not a field of a service; did you mean sticky? (fields: name, version, image, replicas, port, healthPath, env, hosts, default, sticky, adoptRoute)",
      "switchyard:services[0].colour is not a field of a service (fields: name, version, image, replicas, port, healthPath, env, hosts, default, sticky, adoptRoute)",
    ]);
    expect(nearestField("helthPath")).toBe("healthPath");
  });

  it("bad field values: each named with its fix; every problem of every entry at once", () => {
    const p = problems(services([
      { name: "a", version: "v 2", replicas: 0, port: 70000, healthPath: "ready", hosts: ["http://a.b.com"], sticky: "yes", image: "Not An Image" },
      { version: "v1" },
      "b",
    ]));
    expect(p).toEqual([
      expect.stringMatching(/^switchyard:services\[0\].version = "v 2" is not a valid version .*pulumi config set --path 'services\[0\].version' v2$/),
      expect.stringMatching(/^switchyard:services\[0\].image = "Not An Image" .*not an image reference/),
      expect.stringMatching(/^switchyard:services\[0\].replicas = 0 is not a whole number in 1-20; pulumi config set --path 'services\[0\].replicas' 2$/),
      expect.stringMatching(/^switchyard:services\[0\].port = 70000 is not a whole number in 1-65535/),
      expect.stringMatching(/^switchyard:services\[0\].healthPath = "ready" must be a path starting with '\/'/),
      expect.stringMatching(/^switchyard:services\[0\].hosts: 'http:\/\/a.b.com' is not a host name.*no scheme, port or path/),
      expect.stringMatching(/^switchyard:services\[0\].sticky = "yes" is not true or false/),
      expect.stringMatching(/^switchyard:services\[1\].name is required .*pulumi config set --path 'services\[1\].name' web$/),
      expect.stringMatching(/^switchyard:services\[2\] is not a service \(an object with name, version/),
    ]);
  });

  it("not a list; and backend.service together with services", () => {
    expect(problems({ services: '{"name":"a"}' })[0]).toMatch(/^switchyard:services is not a list of services/);
    expect(problems({ services: "not json" })[0]).toMatch(/^switchyard:services is not a list of services/);
    // Its default (which Pulumi passes as a set value) is no conflict.
    expect(ok(services([{ name: "a" }], { "backend.service": "app" })).services.map((x) => x.name)).toEqual(["a"]);
    expect(problems(services([{ name: "a" }], { "backend.service": "web" }))).toEqual([expect.stringMatching(/^switchyard:backend.service names the single service of the shorthand, but services is set too.*pulumi config rm backend.service/)]);
  });
});
