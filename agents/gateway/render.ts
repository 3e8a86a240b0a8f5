/**
 * Renderers: pure functions from a ProxyView (+ paths and ports) to config text. The built-in templates can be
 * replaced by a user template file (confd's model); the template text is passed in, so reading the file stays
 * an edge concern of the driver.
 */
import crypto from "node:crypto";
import Handlebars from "handlebars";
import { HAPROXY_TEMPLATE } from "./templates/haproxy";
import { NGINX_TEMPLATE } from "./templates/nginx";
import type { ProxyView } from "./view";

export type ProxyKind = "nginx" | "haproxy";

export const BUILTIN_TEMPLATES: Record<ProxyKind, string> = { nginx: NGINX_TEMPLATE, haproxy: HAPROXY_TEMPLATE };

export interface RenderSettings {
  workDir: string;
  listenAddress: string;
  listenPort: number;
  statsAddress: string;
  statsPort: number;
  /** nginx: directory of ndk_http_module.so and ngx_http_lua_module.so. */
  modulesDir: string;
  workerProcesses: string;
  /** nginx `user` directive (only meaningful when started as root). */
  user?: string;
}

export const pathsIn = (workDir: string) => ({
  adminSocket: `${workDir}/nginx-admin.sock`,
  peersFile: `${workDir}/peers.txt`,
  statsSocket: `${workDir}/haproxy.sock`,
});

const compiled = new Map<string, HandlebarsTemplateDelegate>();
function compile(text: string): HandlebarsTemplateDelegate {
  let t = compiled.get(text);
  if (!t) {
    // noEscape: this is a config file, not HTML; values are validated names and addresses.
    t = Handlebars.compile(text, { noEscape: true, strict: false });
    if (compiled.size > 16) compiled.clear();
    compiled.set(text, t);
  }
  return t;
}

export function templateContext(view: ProxyView, s: RenderSettings) {
  const def = view.services.find((x) => x.name === view.defaultService);
  const base = {
    ...s,
    ...pathsIn(s.workDir),
    services: view.services,
    defaultService: view.defaultService,
    defaultBackend: def?.backend ?? "",
    anySticky: view.services.some((x) => x.sticky),
  };
  // The generation identifies the rendered content, so a driver can tell when a reload has taken effect.
  const generation = crypto.createHash("sha256").update(JSON.stringify(base)).digest("hex").slice(0, 12);
  return { ...base, generation };
}

export interface Rendered {
  text: string;
  generation: string;
}

/** Renders a config; throws with the template's own message if the template itself is broken. */
export function renderConfig(template: string, view: ProxyView, s: RenderSettings): Rendered {
  const ctx = templateContext(view, s);
  return { text: compile(template)(ctx), generation: ctx.generation };
}

/**
 * nginx runtime membership: one line per service, "service sticky name host port weight ...", only the
 * endpoints that take new requests. Read by the Lua code of the nginx template.
 */
export function nginxPeerLines(view: ProxyView): Map<string, string> {
  return new Map(view.services.map((s) => [s.name,
    [s.name, s.sticky ? "1" : "0", ...s.endpoints.filter((e) => e.enabled).flatMap((e) => [e.name, e.host, String(e.port), String(Math.max(1, Math.min(e.weight, 16)))])].join(" ")]));
}

export function renderNginxPeers(view: ProxyView): string {
  return [...nginxPeerLines(view).values()].join("\n") + "\n";
}

/**
 * Pure: the body of an incremental peers update — the lines of services whose line changed, and "-<service>"
 * for services gone — so a change to one service costs one line, not the whole registry.
 */
export function nginxPeersDelta(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string {
  const out: string[] = [];
  for (const name of before.keys()) if (!after.has(name)) out.push(`-${name}`);
  for (const [name, line] of after) if (before.get(name) !== line) out.push(line);
  return out.length ? out.join("\n") + "\n" : "";
}
