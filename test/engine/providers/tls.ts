/**
 * A DOUBLE of the tls resource provider plugin (pulumi-resource-tls 5.6.1) for the real Pulumi CLI in tests
 * (the real plugin cannot be built or downloaded here). Keys and certificates are real, made with openssl
 * by the harness's realization code (test/harness/realize/tls.ts: one copy). Rules from
 * hashicorp/terraform-provider-tls internal/provider/resource_*.go: every input replaces except
 * `earlyRenewalHours` (no RequiresReplace: updated in the state); a certificate whose validity end minus
 * earlyRenewalHours has passed is "ready for renewal" and replaced (modifyPlanIfCertificateReadyForRenewal
 * and, on refresh, modifyStateIfCertificateReadyForRenewal in common_cert.go). Replacements create first.
 */
import * as provider from "@pulumi/pulumi/provider";
import { execFileSync } from "node:child_process";
import { TLS_TYPES, createTls } from "../../harness/realize/tls";
import { diffByRules, unknownKeys, type PropRule } from "./rules";
import { keepSecrets, reveal } from "./secrets";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VERSION = "5.6.1";
const typeOf = (urn: string) => urn.split("::")[2]?.split("$").pop() ?? "";

const R = { forceNew: true };
const RULES: Record<string, Record<string, PropRule>> = {
  [TLS_TYPES.privateKey]: { algorithm: R, rsaBits: R, ecdsaCurve: R },
  [TLS_TYPES.selfSignedCert]: {
    privateKeyPem: R, validityPeriodHours: R, allowedUses: R, dnsNames: R, ipAddresses: R, uris: R, earlyRenewalHours: {},
    isCaCertificate: R, maxPathLength: R, setSubjectKeyId: R, setAuthorityKeyId: R, subject: R,
  },
  [TLS_TYPES.certRequest]: { privateKeyPem: R, dnsNames: R, ipAddresses: R, uris: R, subject: R },
  [TLS_TYPES.locallySignedCert]: {
    caCertPem: R, caPrivateKeyPem: R, certRequestPem: R, validityPeriodHours: R, allowedUses: R, isCaCertificate: R,
    maxPathLength: R, earlyRenewalHours: {}, setSubjectKeyId: R,
  },
};
const SECRET_OUTPUTS = ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"];
const isCert = (type: string) => type === TLS_TYPES.selfSignedCert || type === TLS_TYPES.locallySignedCert;

/** validity_start_time / validity_end_time (RFC 3339) of a PEM certificate. */
function validity(certPem: string): { validityStartTime: string; validityEndTime: string } {
  const out = execFileSync("openssl", ["x509", "-noout", "-startdate", "-enddate"], { input: certPem }).toString();
  const get = (k: string) => new Date(out.match(new RegExp(`${k}=(.*)`))![1]).toISOString().replace(/\.000Z$/, "Z");
  return { validityStartTime: get("notBefore"), validityEndTime: get("notAfter") };
}

/** Whether the certificate's early-renewal time has passed (common_cert.go). Pure but for the clock. */
export function readyForRenewal(validityEndTime: string | undefined, earlyRenewalHours: number | undefined, now = Date.now()): boolean {
  if (!validityEndTime) return false;
  return Date.parse(validityEndTime) - (earlyRenewalHours ?? 0) * 3600e3 <= now;
}

async function check(urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
  const type = typeOf(urn);
  const rules = RULES[type];
  if (!rules) return { failures: [{ property: "", reason: `the tls provider double does not implement ${type}` }] };
  const unknown = unknownKeys(rules, news);
  if (unknown.length) return { failures: unknown.map((p) => ({ property: p, reason: `the tls provider double does not know ${type} input ${p}` })) };
  const defaults = type === TLS_TYPES.privateKey ? { algorithm: "RSA" } : isCert(type) ? { earlyRenewalHours: 0, isCaCertificate: false, setSubjectKeyId: false } : {};
  return { inputs: { ...defaults, ...news } };
}

async function diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
  const type = typeOf(urn);
  const d = diffByRules(RULES[type], reveal(olds), reveal(news));
  const o = reveal(olds);
  if (isCert(type) && readyForRenewal(o.validityEndTime, reveal(news).earlyRenewalHours)) {
    return { changes: true, replaces: [...d.replaces, "readyForRenewal"] };
  }
  return { changes: d.changed.length > 0, replaces: d.replaces };
}

async function create(urn: string, inputs: Props): Promise<provider.CreateResult> {
  const type = typeOf(urn);
  const r = createTls(type, reveal(inputs));
  const outputs = isCert(type) ? { ...r.outputs, ...validity(String(r.outputs.certPem)), readyForRenewal: false } : r.outputs;
  return { id: r.id, outs: keepSecrets(inputs, outputs, SECRET_OUTPUTS) };
}

async function update(_id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
  // Only earlyRenewalHours updates in place: the key or certificate stays, the state takes the new value.
  const o = reveal(olds);
  const n = reveal(news);
  const outputs = { ...o, ...n, readyForRenewal: isCert(typeOf(urn)) ? readyForRenewal(o.validityEndTime, n.earlyRenewalHours) : undefined };
  return { outs: keepSecrets(news, outputs, SECRET_OUTPUTS) };
}

async function read(id: string, urn: string, props: Props): Promise<provider.ReadResult> {
  const p = reveal(props ?? {});
  if (!isCert(typeOf(urn))) return { id, props };
  return { id, props: keepSecrets(props, { ...p, readyForRenewal: readyForRenewal(p.validityEndTime, p.earlyRenewalHours) }, SECRET_OUTPUTS) };
}

// Nothing to delete: keys and certificates live only in the state, as with the real provider.
if (require.main === module) void provider.main({ version: VERSION, check, diff, create, update, read, delete: async () => undefined }, process.argv.slice(2));
