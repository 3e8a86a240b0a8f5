/**
 * The I/O half of the gateway status protocol (status.ts holds the layout and the decisions): reading the
 * statuses a reader needs, and writing one gateway's changes. Used by the gateway agent, the provider's gate,
 * the simulated gateway of the tests and the benchmarks, so that every side speaks the layout the same way.
 */
import type { Etcd3 } from "etcd3";
import { gatewayEndpointKey, gatewayEndpointsPrefix, gatewaysPrefix, gatewayStatusKey } from "./keys";
import { assembleStatuses, type GatewayStatus, type StatusChanges } from "./status";

/** What to read with the summaries: every report (default), one endpoint's reports, or one gateway. */
export interface StatusScope {
  /** Only this endpoint's report of each gateway: what a gate needs (one small key per gateway). */
  endpoint?: { service: string; endpoint: string };
  /** Only this gateway (its summary and all of its reports). */
  gateway?: string;
  /** Summaries only, no reports: what a gate for a change that names no endpoint (a route) needs. */
  summariesOnly?: boolean;
}

export async function readGatewayStatuses(client: Etcd3, root: string, scope: StatusScope = {}): Promise<{ statuses: GatewayStatus[]; skipped: string[] }> {
  const entries: Record<string, string> = scope.gateway
    ? await one(client, gatewayStatusKey(root, scope.gateway))
    : await client.getAll().prefix(gatewaysPrefix(root)).strings();
  const ids = Object.keys(entries).map((k) => k.slice(gatewaysPrefix(root).length));
  const reports = scope.summariesOnly ? [] : await Promise.all(ids.map((id) =>
    scope.endpoint
      ? one(client, gatewayEndpointKey(root, id, scope.endpoint.service, scope.endpoint.endpoint))
      : client.getAll().prefix(gatewayEndpointsPrefix(root, id)).strings(),
  ));
  return assembleStatuses(root, Object.assign(entries, ...reports));
}

/** One gateway's status with all of its endpoint reports, or undefined when it has none (not live). */
export async function readGatewayStatus(client: Etcd3, root: string, gateway: string): Promise<GatewayStatus | undefined> {
  return (await readGatewayStatuses(client, root, { gateway })).statuses[0];
}

async function one(client: Etcd3, key: string): Promise<Record<string, string>> {
  const v = await client.get(key).string();
  return v === null ? {} : { [key]: v };
}

/**
 * etcd refuses transactions of more than 128 operations by default (--max-txn-ops): changes go in chunks of
 * this many, the summary (the last put) in the last chunk, so it is never ahead of the reports.
 */
export const STATUS_TXN_OPS = 100;

/** Writes one gateway's changes under its lease; resolves once all of them are committed. */
export async function writeStatusChanges(client: Etcd3, changes: StatusChanges, leaseId: string): Promise<void> {
  const ops = [
    ...changes.deletes.map((k) => client.delete().key(k)),
    ...changes.puts.map(([k, v]) => client.put(k).value(v).lease(leaseId)),
  ];
  const anyKey = changes.puts.at(-1)?.[0] ?? changes.deletes[0];
  for (let i = 0; i < ops.length; i += STATUS_TXN_OPS) {
    // An always-true compare (every key's create revision is > -1): etcd3 sends several operations in one
    // request only as a transaction.
    await client.if(anyKey, "Create", ">", -1).then(...ops.slice(i, i + STATUS_TXN_OPS)).commit();
  }
}
