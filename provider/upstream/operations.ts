/**
 * The Upstream provider's etcd I/O: the shared owned-key operations (provider/etcd-key/operations.ts) with
 * what is the Upstream's own — its value carries an address, a put waits until every live gateway routes the
 * endpoint healthy, a delete until none routes it any more.
 */
import type { GateResult } from "../../lib/etcd/gate";
import { endpointId, parseUpstreamValue } from "../../lib/etcd/keys";
import { createKey, deleteKey, readKey, stateProps, updateKey, type KeyKind, type OperationOptions } from "../etcd-key/operations";
import { UPSTREAM_OWNER, requireProps, type UpstreamOuts, type UpstreamProps } from "./spec";

export type { OperationOptions } from "../etcd-key/operations";

function addrOf(value: string): string {
  const parsed = parseUpstreamValue(value);
  if ("problem" in parsed) throw new Error(`value ${parsed.problem}`);
  return parsed.addr;
}

const UPSTREAM: KeyKind<UpstreamProps> = {
  owner: UPSTREAM_OWNER,
  putTarget: (p, revision) => ({ expect: "routed", revision, endpoint: endpointId(p.service, p.endpoint), addr: addrOf(p.value) }),
  deleteTarget: (p, revision) => ({ expect: "unrouted", revision, endpoint: endpointId(p.service, p.endpoint) }),
  deleteGateFailure: (p, deleted, reason) =>
    `${deleted ? "deleted" : "found already deleted"} ${p.key}, but the gateways did not all stop routing to ${endpointId(p.service, p.endpoint)} (${p.value}) in time, ` +
    `so whatever depends on this Upstream (its container) must not go yet. Run again to wait again: ${reason}`,
};

export async function createUpstream(inputs: Record<string, unknown>, o: OperationOptions = {}): Promise<{ id: string; outs: UpstreamOuts }> {
  const p = requireProps(inputs);
  const addr = addrOf(p.value);
  const written = await createKey(p, UPSTREAM, o);
  return { id: p.key, outs: { ...p, addr, ...written } };
}

export async function updateUpstream(olds: Record<string, unknown>, news: Record<string, unknown>, o: OperationOptions = {}): Promise<{ outs: UpstreamOuts }> {
  const p = requireProps(news);
  const addr = addrOf(p.value);
  const written = await updateKey(olds as unknown as UpstreamOuts, p, UPSTREAM, o);
  return { outs: { ...p, addr, ...written } };
}

export async function deleteUpstream(props: Record<string, unknown>, o: OperationOptions = {}): Promise<{ deleted: boolean; revision: number; gate?: GateResult }> {
  return deleteKey(stateProps<UpstreamProps>(props, "Upstream"), UPSTREAM, o);
}

/** read (refresh): the current value, or undefined when the key is gone. */
export async function readUpstream(props: Record<string, unknown>): Promise<UpstreamOuts | undefined> {
  const p = stateProps<UpstreamProps>(props, "Upstream");
  const old = props as unknown as UpstreamOuts;
  const current = await readKey(p);
  if (!current) return undefined;
  const parsed = parseUpstreamValue(current.value);
  // An unparsable value (a bad hand edit) is still reported as drift; addr keeps the last good one.
  const addr = "problem" in parsed ? old.addr : parsed.addr;
  return { ...p, value: current.value, addr, revision: current.modRevision, ...(old.gateResult ? { gateResult: old.gateResult } : {}) };
}
