/**
 * The @pulumi/tls resources the program uses, realized with the openssl CLI (the tls provider plugin cannot
 * be installed here): PrivateKey (ECDSA P-256 or RSA), SelfSignedCert, CertRequest, LocallySignedCert, with
 * the inputs and outputs the program reads. Keys and certificates exist only in the harness state, as with the
 * provider (whose state holds them too). Anything else the resources could do is refused, not ignored.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export const TLS_TYPES = {
  privateKey: "tls:index/privateKey:PrivateKey",
  selfSignedCert: "tls:index/selfSignedCert:SelfSignedCert",
  certRequest: "tls:index/certRequest:CertRequest",
  locallySignedCert: "tls:index/locallySignedCert:LocallySignedCert",
};
export const isTlsType = (type: string) => Object.values(TLS_TYPES).includes(type);

const USES: Record<string, { key?: string; ext?: string }> = {
  cert_signing: { key: "keyCertSign" },
  crl_signing: { key: "cRLSign" },
  digital_signature: { key: "digitalSignature" },
  key_encipherment: { key: "keyEncipherment" },
  server_auth: { ext: "serverAuth" },
  client_auth: { ext: "clientAuth" },
};

/** The x509v3 extension lines for allowedUses (and CA:TRUE for a CA). Pure. */
export function extensionLines(allowedUses: string[], isCa: boolean): string[] {
  const unknown = allowedUses.filter((u) => !USES[u]);
  if (unknown.length) throw new Error(`the harness does not emulate tls allowedUses ${unknown.join(", ")}`);
  const key = allowedUses.map((u) => USES[u].key).filter(Boolean);
  const ext = allowedUses.map((u) => USES[u].ext).filter(Boolean);
  return [
    `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}`,
    ...(key.length ? [`keyUsage=critical,${key.join(",")}`] : []),
    ...(ext.length ? [`extendedKeyUsage=${ext.join(",")}`] : []),
  ];
}

const subjectArg = (s: Props | undefined) => {
  const parts = [["O", s?.organization], ["CN", s?.commonName]].filter(([, v]) => v).map(([k, v]) => `/${k}=${String(v).replace(/\//g, "\\/")}`);
  return parts.join("") || "/";
};

function withDir<T>(fn: (dir: string, file: (name: string, content?: string) => string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-harness-tls-"));
  try {
    return fn(dir, (name, content) => {
      const p = path.join(dir, name);
      if (content !== undefined) fs.writeFileSync(p, content, { mode: 0o600 });
      return p;
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();
const days = (hours: unknown) => String(Math.max(1, Math.ceil(Number(hours ?? 24) / 24)));

export function createTls(type: string, inputs: Props): { id: string; outputs: Props } {
  return withDir((_dir, file) => {
    switch (type) {
      case TLS_TYPES.privateKey: {
        const alg = String(inputs.algorithm ?? "RSA");
        const args = alg === "ECDSA" ? ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${String(inputs.ecdsaCurve ?? "P224").replace("P", "P-")}`]
          : alg === "RSA" ? ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${inputs.rsaBits ?? 2048}`] : undefined;
        if (!args) throw new Error(`the harness does not emulate tls.PrivateKey algorithm ${alg}`);
        const keyPem = openssl(["genpkey", ...args]);
        const publicKeyPem = openssl(["pkey", "-in", file("k.pem", keyPem), "-pubout"]);
        return { id: `key-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, outputs: { ...inputs, privateKeyPem: keyPem, publicKeyPem } };
      }
      case TLS_TYPES.selfSignedCert: {
        const ext = file("ext.cnf", `[v3]\n${extensionLines(inputs.allowedUses ?? [], Boolean(inputs.isCaCertificate)).join("\n")}\nsubjectKeyIdentifier=hash\n`);
        const certPem = openssl(["req", "-x509", "-new", "-key", file("k.pem", inputs.privateKeyPem), "-subj", subjectArg(inputs.subject), "-days", days(inputs.validityPeriodHours), "-config", ext, "-extensions", "v3"]);
        return { id: serialOf(certPem, file), outputs: { ...inputs, certPem } };
      }
      case TLS_TYPES.certRequest: {
        const sans = [...(inputs.dnsNames ?? []).map((d: string) => `DNS:${d}`), ...(inputs.ipAddresses ?? []).map((i: string) => `IP:${i}`)];
        const args = ["req", "-new", "-key", file("k.pem", inputs.privateKeyPem), "-subj", subjectArg(inputs.subject)];
        if (sans.length) args.push("-addext", `subjectAltName=${sans.join(",")}`);
        const certRequestPem = openssl(args);
        return { id: `csr-${Date.now().toString(36)}`, outputs: { ...inputs, certRequestPem } };
      }
      case TLS_TYPES.locallySignedCert: {
        const ext = file("ext.cnf", `[v3]\n${extensionLines(inputs.allowedUses ?? [], Boolean(inputs.isCaCertificate)).join("\n")}\n`);
        const certPem = openssl(["x509", "-req", "-in", file("r.csr", inputs.certRequestPem), "-CA", file("ca.pem", inputs.caCertPem), "-CAkey", file("ca-key.pem", inputs.caPrivateKeyPem),
          "-set_serial", `0x${BigInt(Date.now()).toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`, "-days", days(inputs.validityPeriodHours),
          "-extfile", ext, "-extensions", "v3", "-copy_extensions", "copy"]);
        return { id: serialOf(certPem, file), outputs: { ...inputs, certPem, readyForRenewal: false } };
      }
      default:
        throw new Error(`the harness does not emulate ${type}`);
    }
  });
}

function serialOf(certPem: string, file: (name: string, content?: string) => string): string {
  return openssl(["x509", "-in", file("c.pem", certPem), "-noout", "-serial"]).trim().replace(/^serial=/, "");
}
