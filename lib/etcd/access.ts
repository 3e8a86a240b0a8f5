/**
 * etcd RBAC for a switchyard stack: who may do what, as a pure plan (`accessPlan`), and an idempotent
 * bootstrap that makes a cluster match it (`applyAccess`).
 *
 * Identity = the Common Name of the client certificate. Members run with `--client-cert-auth`, and when a
 * request carries no token etcd takes the user name from the certificate's CN. We use no passwords at all:
 * - no secret to distribute besides the key that already authenticates the TLS connection;
 * - no simple-token expiry: etcd 3.4's default `simple` tokens expire after 5 minutes of idleness and are
 *   not shared between members, so a long-lived watcher (a gateway) behind an L4 proxy that fails over to
 *   another member gets "invalid auth token" and must re-authenticate; a certificate is checked on every
 *   connection and never expires mid-stream;
 * - the proxy is `etcd gateway` (L4), so each client's certificate reaches a member unchanged.
 *
 * Users and roles:
 * - `root` (role root): the operator and the Upstream provider. etcd requires the root user before
 *   `auth enable`; it is also the only identity that may change users and roles afterwards.
 * - `gateway-<id>`: may read (and watch) `<root>/services/` and read/write its own status: the summary key
 *   `<root>/gateways/<id>` and its endpoint reports under `<root>/gateway-endpoints/<id>/` only — one role per gateway, so a compromised gateway cannot forge another
 *   gateway's status and so pass the provider's gate for it.
 * - `registrator-<id>`: may read/write `<root>/services/` (role `switchyard-registrator`, shared: every
 *   registrator has the same rights) — nothing else, so it cannot touch gateway status or other roots.
 *
 * Like the dynamic provider, `applyAccess` requires etcd3 inside the function (serialized closures).
 */
import type { Etcd3 } from "etcd3";
import { gatewayEndpointsPrefix, gatewayStatusKey, servicesPrefix } from "./keys";

export type Permission = "Read" | "Write" | "Readwrite";

export interface Grant {
  permission: Permission;
  /** Exactly one of key / prefix. */
  key?: string;
  prefix?: string;
}

export interface RoleSpec {
  name: string;
  grants: Grant[];
}

export interface UserSpec {
  name: string;
  roles: string[];
}

export interface AccessPlan {
  roles: RoleSpec[];
  users: UserSpec[];
}

export const ROOT_USER = "root";
export const REGISTRATOR_ROLE = "switchyard-registrator";
export const gatewayUser = (id: string) => `gateway-${id}`;
export const gatewayRole = (id: string) => `switchyard-gateway-${id}`;
export const registratorUser = (id: string) => `registrator-${id}`;

/** The roles and users of a stack. Pure: the bootstrap applies it, the tests check it. */
export function accessPlan(a: { root: string; gateways: string[]; registrators: string[] }): AccessPlan {
  const services = servicesPrefix(a.root);
  const roles: RoleSpec[] = [];
  const users: UserSpec[] = [{ name: ROOT_USER, roles: ["root"] }];
  for (const id of [...new Set(a.gateways)].sort()) {
    roles.push({ name: gatewayRole(id), grants: [{ permission: "Read", prefix: services }, { permission: "Readwrite", key: gatewayStatusKey(a.root, id) }, { permission: "Readwrite", prefix: gatewayEndpointsPrefix(a.root, id) }] });
    users.push({ name: gatewayUser(id), roles: [gatewayRole(id)] });
  }
  if (a.registrators.length) {
    roles.push({ name: REGISTRATOR_ROLE, grants: [{ permission: "Readwrite", prefix: services }] });
    for (const id of [...new Set(a.registrators)].sort()) users.push({ name: registratorUser(id), roles: [REGISTRATOR_ROLE] });
  }
  return { roles, users };
}

/** Names that must not collide with etcd's built-in role or each other. */
export function accessPlanProblems(p: AccessPlan): string[] {
  const problems: string[] = [];
  const roles = new Set(p.roles.map((r) => r.name));
  if (roles.has("root")) problems.push("role 'root' is etcd's own; do not redefine it");
  const seen = new Set<string>();
  for (const u of p.users) {
    if (seen.has(u.name)) problems.push(`user '${u.name}' appears twice`);
    seen.add(u.name);
    for (const r of u.roles) if (r !== "root" && !roles.has(r)) problems.push(`user '${u.name}' has unknown role '${r}'`);
  }
  if (!p.users.some((u) => u.name === ROOT_USER && u.roles.includes("root"))) problems.push("the plan needs the root user with role root (etcd refuses auth enable without it)");
  return problems;
}

/** A grant as etcd stores it: [start, end) in latin1 text, end "" for a single key. */
export function grantRange(g: Grant): { start: string; end: string } {
  if (g.key !== undefined) return { start: g.key, end: "" };
  if (g.prefix === undefined || g.prefix === "") throw new Error("a grant needs a key or a non-empty prefix");
  // etcd's prefix end: the prefix with its last byte incremented (keys here are ASCII).
  const last = g.prefix.charCodeAt(g.prefix.length - 1);
  return { start: g.prefix, end: g.prefix.slice(0, -1) + String.fromCharCode(last + 1) };
}

const grantId = (permission: string, start: string, end: string) => `${permission} [${start}, ${end})`;

export interface AccessChanges {
  created: string[];
  changed: string[];
}

/**
 * Makes the cluster's users, roles and permissions match the plan (extra grants on a planned role are
 * revoked; users and roles outside the plan are left alone), then enables auth. Idempotent: a second run
 * changes nothing. Must run with the root identity once auth is on (before, any client with a certificate
 * from the stack's CA may). Users get a random password nobody keeps: they authenticate by certificate.
 */
export async function applyAccess(client: Etcd3, plan: AccessPlan): Promise<AccessChanges> {
  const problems = accessPlanProblems(plan);
  if (problems.length) throw new Error(`invalid etcd access plan: ${problems.join("; ")}`);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { Range } = require("etcd3") as typeof import("etcd3");
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const crypto = require("node:crypto") as typeof import("node:crypto");
  const out: AccessChanges = { created: [], changed: [] };

  const existingRoles = new Set((await client.getRoles()).map((r) => r.name));
  for (const spec of plan.roles) {
    const role = client.role(spec.name);
    if (!existingRoles.has(spec.name)) {
      await role.create();
      out.created.push(`role ${spec.name}`);
    }
    const have = new Map<string, { permission: string; start: Buffer; end: Buffer }>();
    for (const p of await role.permissions()) {
      have.set(grantId(p.permission, p.range.start.toString("latin1"), p.range.end.toString("latin1")), { permission: p.permission, start: p.range.start, end: p.range.end });
    }
    const want = new Set<string>();
    for (const g of spec.grants) {
      const r = grantRange(g);
      const id = grantId(g.permission, r.start, r.end);
      want.add(id);
      if (have.has(id)) continue;
      await role.grant({ permission: g.permission, range: new Range(Buffer.from(r.start, "latin1"), Buffer.from(r.end, "latin1")) });
      out.changed.push(`role ${spec.name}: grant ${id}`);
    }
    for (const [id, p] of have) {
      if (want.has(id)) continue;
      await role.revoke({ permission: p.permission as Permission, range: new Range(p.start, p.end) });
      out.changed.push(`role ${spec.name}: revoke ${id}`);
    }
  }

  const existingUsers = new Set((await client.getUsers()).map((u) => u.name));
  for (const spec of plan.users) {
    const user = client.user(spec.name);
    if (!existingUsers.has(spec.name)) {
      await user.create(crypto.randomBytes(24).toString("base64"));
      out.created.push(`user ${spec.name}`);
    }
    const has = new Set((await user.roles()).map((r) => r.name));
    for (const r of spec.roles) {
      if (has.has(r)) continue;
      await user.addRole(r);
      out.changed.push(`user ${spec.name}: add role ${r}`);
    }
  }
  // Ignored by etcd when auth is already on.
  await client.auth.authEnable();
  return out;
}
