import { describe, expect, it } from "vitest";
import { buildDesiredState } from "./desired";
import { BUILTIN_TEMPLATES, renderConfig, renderNginxPeers, type RenderSettings } from "./render";
import { buildProxyView } from "./view";

const settings: RenderSettings = { workDir: "/w", listenAddress: "127.0.0.1", listenPort: 8000, statsAddress: "127.0.0.1", statsPort: 1936, modulesDir: "/mods", workerProcesses: "auto" };
const desired = buildDesiredState("/sy", [
  { key: "/sy/services/a/upstream/a1", value: "10.0.0.1:10000" },
  { key: "/sy/services/a/upstream/a2", value: "10.0.0.1:10001" },
  { key: "/sy/services/a/route", value: JSON.stringify({ hosts: ["a.b.com"], sticky: true }) },
  { key: "/sy/services/b/upstream/b1", value: "10.0.0.2:20001" },
  { key: "/sy/services/b/route", value: JSON.stringify({ hosts: ["b.b.com"], default: true }) },
  { key: "/sy/services/empty/route", value: JSON.stringify({ hosts: ["e.b.com"] }) },
], 3);
const view = buildProxyView(desired, (id) => ({ health: id === "a/a2" ? "unhealthy" : "healthy" }), []);

describe("haproxy render", () => {
  const { text } = renderConfig(BUILTIN_TEMPLATES.haproxy, view, settings);
  it("routes by host with ACLs, the default service as default_backend", () => {
    expect(text).toContain("acl host_sy_a hdr(host),field(1,:),lower -m str a.b.com");
    expect(text).toContain("use_backend sy_b if host_sy_b");
    expect(text).toContain("default_backend sy_b");
  });
  it("renders servers with their state, cookie stickiness, the stats page and a 503 for empty backends", () => {
    expect(text).toContain("server a1 10.0.0.1:10000 weight 1\n");
    expect(text).toContain("server a2 10.0.0.1:10001 weight 1 disabled");
    expect(text).toMatch(/backend sy_a\n[\s\S]*cookie SERVERID insert indirect nocache dynamic/);
    expect(text).toContain("bind 127.0.0.1:1936");
    expect(text).toMatch(/backend sy_empty\n[\s\S]*service 'empty' has no healthy endpoints/);
  });
});

describe("nginx render", () => {
  const { text, generation } = renderConfig(BUILTIN_TEMPLATES.nginx, view, settings);
  it("maps hosts to services with the default, loads the Lua module, and has the admin socket", () => {
    expect(text).toContain('default "b";');
    expect(text).toContain("a.b.com a;");
    expect(text).toContain("load_module /mods/ngx_http_lua_module.so;");
    expect(text).toContain("listen unix:/w/nginx-admin.sock;");
    expect(text).toContain(`ngx.say("${generation}")`);
  });
  it("puts only enabled endpoints in the peers file, with the sticky flag", () => {
    expect(renderNginxPeers(view)).toBe("a 1 a1 10.0.0.1 10000 1\nb 0 b1 10.0.0.2 20001 1\nempty 0\n");
  });
  it("renders a user template with the same context, and changes generation with content", () => {
    const user = renderConfig("{{#each services}}{{name}}={{backend}} {{/each}}", view, settings);
    expect(user.text).toBe("a=sy_a b=sy_b empty=sy_empty ");
    const other = renderConfig(BUILTIN_TEMPLATES.nginx, view, { ...settings, listenPort: 9000 });
    expect(other.generation).not.toBe(generation);
  });
  it("reports a broken template as an error", () => {
    expect(() => renderConfig("{{#each services}}", view, settings)).toThrow();
  });
});

describe("nginxPeersDelta", () => {
  it("sends only the services whose line changed, and -name for services gone", async () => {
    const { nginxPeersDelta } = await import("./render");
    const before = new Map([["a", "a 0 a1 10.0.0.1 80 1"], ["b", "b 0 b1 10.0.0.2 80 1"], ["c", "c 0"]]);
    const after = new Map([["a", "a 0 a1 10.0.0.1 80 1"], ["b", "b 0 b1 10.0.0.2 80 1 b2 10.0.0.3 80 1"], ["d", "d 1"]]);
    expect(nginxPeersDelta(before, after)).toBe("-c\nb 0 b1 10.0.0.2 80 1 b2 10.0.0.3 80 1\nd 1\n");
    expect(nginxPeersDelta(after, after)).toBe("");
  });
});
