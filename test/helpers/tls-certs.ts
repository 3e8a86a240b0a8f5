/**
 * Certificates for tests, made with the openssl CLI (the stack makes its own with @pulumi/tls, which needs a
 * provider plugin these machines cannot install). Same shape as the stack's: one CA, server certificates
 * with the SANs clients dial, client certificates whose CN is the etcd user name.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

export interface CertFiles {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

export interface TestCa {
  dir: string;
  caFile: string;
  ca: string;
  /** A certificate usable as server and client (etcd members use theirs for both, and for peers). */
  server(name: string, sans: string[]): CertFiles;
  /** A client certificate with this Common Name (= the etcd user). */
  client(cn: string): CertFiles;
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

export function createTestCa(dir: string, name = "ca"): TestCa {
  fs.mkdirSync(dir, { recursive: true });
  const caKey = path.join(dir, `${name}-key.pem`);
  const caFile = path.join(dir, `${name}.pem`);
  openssl(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", caKey, "-out", caFile, "-days", "2", "-subj", `/CN=switchyard test ${name}`], dir);

  const issue = (file: string, cn: string, ext: string): CertFiles => {
    const keyFile = path.join(dir, `${file}-key.pem`);
    const csr = path.join(dir, `${file}.csr`);
    const certFile = path.join(dir, `${file}.pem`);
    const extFile = path.join(dir, `${file}.ext`);
    fs.writeFileSync(extFile, ext);
    openssl(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", keyFile, "-out", csr, "-subj", `/CN=${cn}`], dir);
    openssl(["x509", "-req", "-in", csr, "-CA", caFile, "-CAkey", caKey, "-CAcreateserial", "-out", certFile, "-days", "2", "-extfile", extFile], dir);
    return { certFile, keyFile, cert: fs.readFileSync(certFile, "utf8"), key: fs.readFileSync(keyFile, "utf8") };
  };
  return {
    dir,
    caFile,
    ca: fs.readFileSync(caFile, "utf8"),
    server: (n, sans) => issue(`${name}-server-${n}`, n, [
      "basicConstraints=CA:FALSE",
      "keyUsage=digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth,clientAuth",
      `subjectAltName=${sans.map((s) => (/^[\d.]+$/.test(s) ? `IP:${s}` : `DNS:${s}`)).join(",")}`,
      "",
    ].join("\n")),
    client: (cn) => issue(`${name}-client-${cn}`, cn, ["basicConstraints=CA:FALSE", "keyUsage=digitalSignature,keyEncipherment", "extendedKeyUsage=clientAuth", ""].join("\n")),
  };
}
