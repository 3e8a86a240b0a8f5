/**
 * The Route provider's etcd I/O: the shared owned-key operations (provider/etcd-key/operations.ts) with what
 * is the Route's own — a route names no endpoint, so its gate waits until every live gateway has applied the
 * revision of the write (or of the delete).
 */
import type { GateResult } from "../../lib/etcd/gate";
import { createKey, deleteKey, readKey, stateProps, updateKey, type KeyKind, type OperationOptions } from "../etcd-key/operations";
import { requireRouteProps, ROUTE_OWNER, type RouteOuts, type RouteProps } from "./spec";

const ROUTE: KeyKind<RouteProps> = {
  owner: ROUTE_OWNER,
  putTarget: (p, revision) => ({ expect: "applied", revision, what: `route of ${p.service}` }),
  deleteTarget: (p, revision) => ({ expect: "applied", revision, what: `removal of the route of ${p.service}` }),
  deleteGateFailure: (p, deleted, reason) =>
    `${deleted ? "deleted" : "found already deleted"} ${p.key}, but not every gateway applied that in time, so the hosts of ${p.service} ` +
    `may still be routed to it. Run again to wait again: ${reason}`,
};

export async function createRoute(inputs: Record<string, unknown>, o: OperationOptions = {}): Promise<{ id: string; outs: RouteOuts }> {
  const p = requireRouteProps(inputs);
  return { id: p.key, outs: { ...p, ...(await createKey(p, ROUTE, o)) } };
}

export async function updateRoute(olds: Record<string, unknown>, news: Record<string, unknown>, o: OperationOptions = {}): Promise<{ outs: RouteOuts }> {
  const p = requireRouteProps(news);
  return { outs: { ...p, ...(await updateKey(olds as unknown as RouteOuts, p, ROUTE, o)) } };
}

export async function deleteRoute(props: Record<string, unknown>, o: OperationOptions = {}): Promise<{ deleted: boolean; revision: number; gate?: GateResult }> {
  return deleteKey(stateProps<RouteProps>(props, "Route"), ROUTE, o);
}

/** read (refresh): the current value (drift shows as a changed value), or undefined when the key is gone. */
export async function readRoute(props: Record<string, unknown>): Promise<RouteOuts | undefined> {
  const p = stateProps<RouteProps>(props, "Route");
  const old = props as unknown as RouteOuts;
  const current = await readKey(p);
  if (!current) return undefined;
  return { ...p, value: current.value, revision: current.modRevision, ...(old.gateResult ? { gateResult: old.gateResult } : {}) };
}
