/** The harness's @pulumi/tls emulation, with the real openssl CLI. */
import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTls, TLS_TYPES } from "../harness/realize/tls";

describe("the harness's @pulumi/tls emulation (openssl)", () => {
  it("issues a CA and a leaf whose SANs come from the request (openssl)", () => {
    const caKey = createTls(TLS_TYPES.privateKey, { algorithm: "ECDSA", ecdsaCurve: "P256" }).outputs.privateKeyPem as string;
    expect(caKey).toContain("BEGIN PRIVATE KEY");
    const ca = createTls(TLS_TYPES.selfSignedCert, { privateKeyPem: caKey, isCaCertificate: true, subject: { commonName: "t CA" }, validityPeriodHours: 48, allowedUses: ["cert_signing"] }).outputs.certPem as string;
    const key = createTls(TLS_TYPES.privateKey, { algorithm: "ECDSA", ecdsaCurve: "P256" }).outputs.privateKeyPem as string;
    const csr = createTls(TLS_TYPES.certRequest, { privateKeyPem: key, subject: { commonName: "etcd-0" }, dnsNames: ["m0"], ipAddresses: ["127.0.0.1"] }).outputs.certRequestPem as string;
    const leaf = createTls(TLS_TYPES.locallySignedCert, { certRequestPem: csr, caPrivateKeyPem: caKey, caCertPem: ca, validityPeriodHours: 24, allowedUses: ["digital_signature", "server_auth"] }).outputs.certPem as string;
    const x = new X509Certificate(leaf);
    expect(x.subject).toContain("CN=etcd-0");
    expect(x.subjectAltName).toBe("DNS:m0, IP Address:127.0.0.1");
    expect(x.verify(new X509Certificate(ca).publicKey)).toBe(true);
  });
});
