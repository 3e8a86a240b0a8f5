/**
 * EtcdPki: the stack's own certificate authority and every certificate etcd and its clients use, all made
 * with @pulumi/tls (no files on the operator's machine, nothing to copy by hand).
 *
 * - CA: one per stack (ECDSA P-256, 10 years). Trusted by members (peers and clients) and by every client.
 * - Member certificates: one per member, used as server certificate (clients), and as server and client
 *   certificate between peers. SANs = every name a TLS client may dial and still reach this member: the
 *   member's own container name (peers, the member's healthcheck on 127.0.0.1), the proxy's container name
 *   (containers dial the proxy, an L4 proxy: the TLS session ends at a member), and localhost / 127.0.0.1
 *   (the operator's published proxy port). On aws, the host address the target dials too.
 * - Client certificates: CN = the etcd user (see lib/etcd/access.ts) — root for the operator and the
 *   Upstream provider, gateway-<id>, registrator-<id>, and a user-less `healthcheck` identity for probes.
 *
 * Private keys are Pulumi secrets (encrypted in the state); they reach containers only as file uploads,
 * never in images, environment variables, command lines or stack outputs. Leaf certificates live one year
 * and are re-issued by `pulumi up` in their last 30 days (earlyRenewalHours).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export const CA_VALIDITY_HOURS = 24 * 365 * 10;
export const LEAF_VALIDITY_HOURS = 24 * 365;
export const EARLY_RENEWAL_HOURS = 24 * 30;
/** Identity the healthchecks use: a valid certificate but no etcd user (etcdctl counts "permission denied" as healthy). */
export const HEALTHCHECK_IDENTITY = "healthcheck";

export interface TlsIdentity {
  /** PEM certificate. */
  cert: pulumi.Output<string>;
  /** PEM private key; a secret. */
  key: pulumi.Output<string>;
}

export interface MemberCertSpec {
  /** Member name (the certificate's CN). */
  name: string;
  /** Host names and addresses TLS clients dial to reach this member (see certSubjectAltNames). */
  sans: pulumi.Input<string[]>;
}

export interface EtcdPkiArgs {
  /** "switchyard-dev": names the CA. */
  prefix: string;
  members: MemberCertSpec[];
  /** CNs of client certificates (= etcd user names). */
  clients: string[];
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** SANs of a member: its container name, the proxy's, the dial host, localhost and 127.0.0.1; deduplicated. Pure. */
export function memberSans(a: { container: string; proxyContainer: string; dialHost: string; operatorHost?: string }): string[] {
  // operatorHost: where the operator reaches the proxy (an L4 proxy, so the session ends at a member): the
  // gateway host's public address on aws; 127.0.0.1 (already listed) on docker.
  return [...new Set([a.container, a.proxyContainer, a.dialHost, "localhost", "127.0.0.1", ...(a.operatorHost ? [a.operatorHost] : [])])];
}

/** Splits SANs into the certificate's DNS names and IP addresses. Pure. */
export function certSubjectAltNames(sans: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  return { dnsNames: sans.filter((s) => !IPV4.test(s)), ipAddresses: sans.filter((s) => IPV4.test(s)) };
}

export class EtcdPki extends pulumi.ComponentResource {
  /** PEM of the CA certificate (public). */
  readonly caCert: pulumi.Output<string>;
  private readonly members = new Map<string, TlsIdentity>();
  private readonly clients = new Map<string, TlsIdentity>();

  constructor(name: string, args: EtcdPkiArgs, opts?: pulumi.ComponentResourceOptions) {
    super("switchyard:etcd:EtcdPki", name, {}, opts);
    const parent = { parent: this };
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
    const ca = new tls.SelfSignedCert(`${name}-ca`, {
      privateKeyPem: caKey.privateKeyPem,
      isCaCertificate: true,
      subject: { commonName: `${args.prefix} etcd CA`, organization: "switchyard" },
      validityPeriodHours: CA_VALIDITY_HOURS,
      allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
    }, parent);
    this.caCert = ca.certPem;

    const issue = (resName: string, cn: string, uses: string[], sans?: pulumi.Input<string[]>): TlsIdentity => {
      const key = new tls.PrivateKey(`${resName}-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, parent);
      const alt = sans ? pulumi.output(sans).apply(certSubjectAltNames) : undefined;
      const csr = new tls.CertRequest(`${resName}-csr`, {
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: cn, organization: "switchyard" },
        ...(alt ? { dnsNames: alt.dnsNames, ipAddresses: alt.ipAddresses } : {}),
      }, parent);
      const cert = new tls.LocallySignedCert(`${resName}-cert`, {
        certRequestPem: csr.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: LEAF_VALIDITY_HOURS,
        earlyRenewalHours: EARLY_RENEWAL_HOURS,
        allowedUses: uses,
      }, parent);
      return { cert: cert.certPem, key: pulumi.secret(key.privateKeyPem) };
    };

    for (const m of args.members) {
      // Members use one certificate for clients and for peers, where they are also the TLS client.
      this.members.set(m.name, issue(`${name}-${m.name}`, m.name, ["digital_signature", "key_encipherment", "server_auth", "client_auth"], m.sans));
    }
    for (const cn of [...new Set(args.clients)]) {
      this.clients.set(cn, issue(`${name}-client-${cn}`, cn, ["digital_signature", "key_encipherment", "client_auth"]));
    }
    this.registerOutputs({ caCert: this.caCert });
  }

  member(name: string): TlsIdentity {
    const m = this.members.get(name);
    if (!m) throw new Error(`EtcdPki: no certificate for member '${name}'`);
    return m;
  }

  client(cn: string): TlsIdentity {
    const c = this.clients.get(cn);
    if (!c) throw new Error(`EtcdPki: no client certificate for '${cn}' (declare it in clients)`);
    return c;
  }
}
