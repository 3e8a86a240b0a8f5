/**
 * Pure functions that build the command lines of etcd members and of the etcd proxy. The EtcdCluster and
 * EtcdProxy components use them for containers; the integration tests use the very same functions to start
 * real etcd processes on loopback, so what is tested is what is deployed.
 */

export interface EtcdMemberAddress {
  name: string;
  /** Address other members and clients dial: a container name, a host's private IP, 127.0.0.1 in tests. */
  host: string;
  clientPort: number;
  peerPort: number;
}

export interface EtcdTlsFiles {
  certFile: string;
  keyFile: string;
  caFile: string;
}

export interface MemberFlagsArgs {
  /** Name of the member these flags are for; must be one of `members`. */
  self: string;
  /** Every member of the cluster, as advertised. */
  members: EtcdMemberAddress[];
  /** Per-stack token, so that members of two stacks can never join each other. */
  clusterToken: string;
  dataDir: string;
  /** Interface the member binds to: "0.0.0.0" inside a container, "127.0.0.1" in tests. */
  listenHost: string;
  /**
   * Ports the member listens on, when they differ from the advertised ones: inside a container whose ports
   * a target publishes at other host ports (aws). Default: the advertised ports.
   */
  listenPorts?: { client: number; peer: number };
  /** When set, client and peer URLs use https with client-certificate authentication. */
  tls?: EtcdTlsFiles;
  /** Raft timing; etcd's defaults (100/1000 ms) suit one data centre. */
  heartbeatMs?: number;
  electionMs?: number;
}

const url = (scheme: string, host: string, port: number) => `${scheme}://${host}:${port}`;

export function memberFlags(a: MemberFlagsArgs): string[] {
  const self = a.members.find((m) => m.name === a.self);
  if (!self) throw new Error(`memberFlags: '${a.self}' is not one of the members ${a.members.map((m) => m.name).join(", ")}`);
  const names = new Set(a.members.map((m) => m.name));
  if (names.size !== a.members.length) throw new Error("memberFlags: member names must be unique");
  const scheme = a.tls ? "https" : "http";
  const flags = [
    `--name=${self.name}`,
    `--data-dir=${a.dataDir}`,
    `--listen-client-urls=${url(scheme, a.listenHost, a.listenPorts?.client ?? self.clientPort)}`,
    `--advertise-client-urls=${url(scheme, self.host, self.clientPort)}`,
    `--listen-peer-urls=${url(scheme, a.listenHost, a.listenPorts?.peer ?? self.peerPort)}`,
    `--initial-advertise-peer-urls=${url(scheme, self.host, self.peerPort)}`,
    `--initial-cluster=${a.members.map((m) => `${m.name}=${url(scheme, m.host, m.peerPort)}`).join(",")}`,
    `--initial-cluster-token=${a.clusterToken}`,
    // Ignored once the data dir holds a cluster, so a restarted member rejoins instead of bootstrapping.
    "--initial-cluster-state=new",
    `--heartbeat-interval=${a.heartbeatMs ?? 100}`,
    `--election-timeout=${a.electionMs ?? 1000}`,
    // Keep one hour of history: enough for a gateway to resume a watch, bounded disk use.
    "--auto-compaction-mode=periodic",
    "--auto-compaction-retention=1h",
    "--logger=zap",
    "--log-outputs=stderr",
  ];
  if (a.tls) {
    flags.push(
      `--cert-file=${a.tls.certFile}`,
      `--key-file=${a.tls.keyFile}`,
      `--trusted-ca-file=${a.tls.caFile}`,
      "--client-cert-auth",
      `--peer-cert-file=${a.tls.certFile}`,
      `--peer-key-file=${a.tls.keyFile}`,
      `--peer-trusted-ca-file=${a.tls.caFile}`,
      "--peer-client-cert-auth",
    );
  }
  return flags;
}

export interface ProxyFlagsArgs {
  /** The members, as advertised; the proxy dials their client ports. */
  members: EtcdMemberAddress[];
  listenHost: string;
  listenPort: number;
  /** How long a member that refused a connection is skipped. etcd's default (1 min) is far too long. */
  retryDelayMs?: number;
}

/**
 * `etcd gateway start`: a TCP (L4) proxy in front of the members. Chosen over `etcd grpc-proxy` because it
 * is transparent: TLS runs end to end from each client to a member, so client-certificate identities and
 * RBAC apply per client (grpc-proxy would present its own identity), and `etcdctl member list` through it
 * shows the real members (grpc-proxy answers with itself). See README "Why etcd gateway".
 */
export function proxyFlags(a: ProxyFlagsArgs): string[] {
  return [
    "gateway",
    "start",
    `--endpoints=${a.members.map((m) => `${m.host}:${m.clientPort}`).join(",")}`,
    `--listen-addr=${a.listenHost}:${a.listenPort}`,
    `--retry-delay=${a.retryDelayMs ?? 1000}ms`,
  ];
}

/** The per-stack cluster token. Deterministic, so a re-run of `pulumi up` never changes it. */
export function clusterToken(project: string, stack: string): string {
  return `switchyard-${project}-${stack}`;
}
