/**
 * Pure logic of the Upstream provider: input normalization and validation (check) and change classification
 * (diff) of an upstream key. The settings and ownership rules every owned key shares (connection, gate, adopt,
 * conflict messages) live in provider/etcd-key/spec.ts; operations.ts does the etcd calls.
 */
import { nameProblem, parseKey, parseUpstreamValue, upstreamKey } from "../../lib/etcd/keys";
import {
  checkOwnership,
  checkRoot,
  conflictMessage as ownedConflictMessage,
  decideExisting as ownedDecideExisting,
  diffOwnedKey,
  foreignDeleteMessage as ownedForeignDeleteMessage,
  foreignUpdateMessage as ownedForeignUpdateMessage,
  requireKnown,
  UNKNOWN,
  type CheckFailure,
  type GateSettings,
  type KeyOwner,
  type OwnedKeyDiff,
  type OwnedKeyProps,
} from "../etcd-key/spec";

export { DEFAULT_GATE_TIMEOUT_MS, describeValue, isUnknown, MAX_GATE_TIMEOUT_MS, UNKNOWN, type CheckFailure, type CreateDecision } from "../etcd-key/spec";

/** The gate settings of an Upstream (the same for every owned key). */
export type UpstreamGateSettings = GateSettings;

/** How messages name an Upstream and the ways out of a conflict. */
export const UPSTREAM_OWNER: KeyOwner = { kind: "Upstream", howToAdopt: "set adopt: true on this Upstream", alternative: "choose another endpoint name" };

/** Inputs after check: every field filled, names consistent with the key. */
export interface UpstreamProps extends OwnedKeyProps {
  service: string;
  endpoint: string;
}

/** Outputs (the state Pulumi keeps; read and delete work from these alone). */
export interface UpstreamOuts extends UpstreamProps {
  /** "host:port" the gateways dial, parsed from value. */
  addr: string;
  /** etcd mod revision of the key as last written or read. */
  revision: number;
  /** What the last gate saw; absent when the gate is disabled. */
  gateResult?: { gateways: string[]; noGateways: boolean; waitedMs: number };
}

type Loose = Record<string, unknown>;

/**
 * check: fills defaults, derives key <-> service/endpoint, validates everything that is known. Unknown values
 * (preview) are passed through untouched and not validated; a key that depends on an unknown is unknown.
 */
export function checkUpstream(news: Loose): { inputs: Loose; failures: CheckFailure[] } {
  const failures: CheckFailure[] = [];
  const fail = (property: string, reason: string) => failures.push({ property, reason });
  const inputs: Loose = { ...news };

  checkRoot(news, inputs, fail);

  const hasNames = news.service !== undefined || news.endpoint !== undefined;
  if (news.key !== undefined && news.key !== UNKNOWN) {
    if (typeof news.key !== "string") fail("key", "key must be a string");
    else if (inputs.root !== UNKNOWN && typeof inputs.root === "string" && !failures.some((f) => f.property === "root")) {
      const parsed = parseKey(inputs.root, news.key);
      if (parsed.kind !== "upstream") {
        fail("key", `key '${news.key}' is not an upstream key: expected ${inputs.root}/services/<service>/upstream/<endpoint>`);
      } else {
        for (const [field, derived] of [["service", parsed.service], ["endpoint", parsed.endpoint]] as const) {
          const given = news[field];
          if (given !== undefined && given !== UNKNOWN && given !== derived) {
            fail(field, `${field} '${String(given)}' contradicts key '${news.key}' (which names '${derived}'); give the key or the names, not both`);
          }
          inputs[field] = derived;
        }
      }
    }
  } else if (news.key === UNKNOWN) {
    inputs.key = UNKNOWN;
  } else if (!hasNames) {
    fail("service", "give service and endpoint (or the full key)");
  } else {
    for (const field of ["service", "endpoint"] as const) {
      const v = news[field];
      if (v === UNKNOWN) continue;
      if (typeof v !== "string") fail(field, `${field} must be a string`);
      else {
        const p = nameProblem(field, v);
        if (p) fail(field, p);
      }
    }
    const parts = [inputs.root, news.service, news.endpoint];
    if (parts.some((p) => p === UNKNOWN)) inputs.key = UNKNOWN;
    else if (!failures.length) inputs.key = upstreamKey(inputs.root as string, news.service as string, news.endpoint as string);
  }

  const value = news.value;
  if (value === undefined) fail("value", 'value is required: "host:port" or JSON {"addr":"host:port", ...}');
  else if (value !== UNKNOWN) {
    if (typeof value !== "string") fail("value", "value must be a string");
    else {
      const parsed = parseUpstreamValue(value);
      if ("problem" in parsed) fail("value", `value ${parsed.problem}`);
    }
  }

  checkOwnership(news, inputs, fail);
  return { inputs, failures };
}

/** check for code paths that need known, valid props (create/update): throws the failures as one error. */
export function requireProps(news: Loose): UpstreamProps {
  return requireKnown<UpstreamProps>("Upstream", checkUpstream(news));
}

export type UpstreamDiff = OwnedKeyDiff;

/** diff (see diffOwnedKey): another key (root, service, endpoint) → replace; another value → one gated update. */
export function diffUpstream(olds: Loose, news: Loose): UpstreamDiff {
  return diffOwnedKey(olds, news, ["key", "root", "service", "endpoint"], ["value"]);
}

type Mine = Pick<UpstreamProps, "key" | "value" | "connection">;
type Found = { value: string; modRevision: number };

/** create found the key already there: same value → ours already; adopt → take it over; else conflict. */
export const decideExisting = (p: Mine & Pick<UpstreamProps, "adopt">, existing: Found) => ownedDecideExisting(p, existing, UPSTREAM_OWNER);
export const conflictMessage = (p: Mine, existing: Found) => ownedConflictMessage(p, existing, UPSTREAM_OWNER);
export const foreignDeleteMessage = (p: Mine, current: Found) => ownedForeignDeleteMessage(p, current, UPSTREAM_OWNER);
export const foreignUpdateMessage = (p: Mine, expected: string, current: Found) => ownedForeignUpdateMessage(p, expected, current, UPSTREAM_OWNER);
