/**
 * Pure translation of a docker.Container's inputs (the @pulumi/docker 4.x schema) into Docker Engine API
 * create options, the way the provider does it. An input the harness does not translate is an error, never
 * ignored: a test that passes because an input was silently dropped would prove nothing.
 */
import type Docker from "dockerode";

type Label = { label: string; value: string };
export interface ContainerInputs {
  name?: string;
  image: string;
  command?: string[];
  entrypoints?: string[];
  envs?: string[];
  labels?: Label[];
  hostname?: string;
  domainname?: string;
  user?: string;
  workingDir?: string;
  tty?: boolean;
  stdinOpen?: boolean;
  stopSignal?: string;
  stopTimeout?: number;
  ports?: { internal: number; external?: number; ip?: string; protocol?: string }[];
  publishAllPorts?: boolean;
  networkMode?: string;
  networksAdvanced?: { name: string; aliases?: string[]; ipv4Address?: string; ipv6Address?: string; macAddress?: string }[];
  volumes?: { volumeName?: string; hostPath?: string; containerPath?: string; readOnly?: boolean; fromContainer?: string }[];
  mounts?: {
    target: string;
    type: string;
    source?: string;
    readOnly?: boolean;
    bindOptions?: { propagation?: string };
    volumeOptions?: { noCopy?: boolean; driverName?: string; driverOptions?: Record<string, string>; labels?: Label[]; subpath?: string };
    tmpfsOptions?: { sizeBytes?: number; mode?: number };
  }[];
  tmpfs?: Record<string, string>;
  restart?: string;
  maxRetryCount?: number;
  healthcheck?: { tests: string[]; interval?: string; timeout?: string; startPeriod?: string; startInterval?: string; retries?: number };
  hosts?: { host: string; ip: string }[];
  dns?: string[];
  dnsOpts?: string[];
  dnsSearches?: string[];
  privileged?: boolean;
  capabilities?: { adds?: string[]; drops?: string[] };
  securityOpts?: string[];
  init?: boolean;
  readOnly?: boolean;
  logDriver?: string;
  logOpts?: Record<string, string>;
  memory?: number;
  memorySwap?: number;
  memoryReservation?: number;
  shmSize?: number;
  cpuShares?: number;
  cpuSet?: string;
  sysctls?: Record<string, string>;
  ulimits?: { name: string; soft: number; hard: number }[];
  groupAdds?: string[];
  ipcMode?: string;
  pidMode?: string;
  devices?: { hostPath: string; containerPath?: string; permissions?: string }[];
  uploads?: { file: string; content?: string; contentBase64?: string; source?: string; executable?: boolean; permissions?: string }[];
  // Provider-side behaviour rather than Engine API fields (applied by the realizer):
  start?: boolean;
  mustRun?: boolean;
  wait?: boolean;
  waitTimeout?: number;
  destroyGraceSeconds?: number;
  removeVolumes?: boolean;
  rm?: boolean;
  attach?: boolean;
  logs?: boolean;
  containerReadRefreshTimeoutMilliseconds?: number;
}

/** Inputs the realizer applies itself (start, wait, uploads, delete behaviour) or that only shape outputs. */
const BEHAVIOUR_INPUTS = [
  "start", "mustRun", "wait", "waitTimeout", "destroyGraceSeconds", "removeVolumes", "rm", "attach", "logs", "uploads", "networksAdvanced",
  "containerReadRefreshTimeoutMilliseconds",
];
const TRANSLATED_INPUTS = [
  "name", "image", "command", "entrypoints", "envs", "labels", "hostname", "domainname", "user", "workingDir", "tty",
  "stdinOpen", "stopSignal", "stopTimeout", "ports", "publishAllPorts", "networkMode", "volumes", "mounts", "tmpfs",
  "restart", "maxRetryCount", "healthcheck", "hosts", "dns", "dnsOpts", "dnsSearches", "privileged", "capabilities",
  "securityOpts", "init", "readOnly", "logDriver", "logOpts", "memory", "memorySwap", "memoryReservation", "shmSize",
  "cpuShares", "cpuSet", "sysctls", "ulimits", "groupAdds", "ipcMode", "pidMode", "devices",
];

export function unsupportedInputs(inputs: Record<string, unknown>): string[] {
  const known = new Set([...BEHAVIOUR_INPUTS, ...TRANSLATED_INPUTS]);
  return Object.keys(inputs).filter((k) => !known.has(k) && !k.startsWith("__") && inputs[k] !== undefined && inputs[k] !== null);
}

/** "1m30s", "500ms", "5s" (Go durations, as the provider takes them) → nanoseconds. */
export function durationNs(d: string | undefined): number | undefined {
  if (d === undefined || d === "" || d === "0") return d === undefined || d === "" ? undefined : 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...d.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== d) throw new Error(`invalid duration "${d}" (expected e.g. "5s", "500ms", "1m30s")`);
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]], 0));
}

const MB = 1024 * 1024;
const compact = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

export function containerCreateOptions(i: ContainerInputs): Docker.ContainerCreateOptions {
  const bad = unsupportedInputs(i as unknown as Record<string, unknown>);
  if (bad.length) throw new Error(`the harness does not emulate docker.Container input(s): ${bad.join(", ")}`);

  const portKey = (p: { internal: number; protocol?: string }) => `${p.internal}/${p.protocol ?? "tcp"}`;
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
  for (const p of i.ports ?? []) {
    exposed[portKey(p)] = {};
    (bindings[portKey(p)] ??= []).push({ HostIp: p.ip ?? "0.0.0.0", HostPort: p.external ? String(p.external) : "" });
  }

  // API 1.41 accepts one endpoint at create; the realizer connects the others before start.
  const first = i.networksAdvanced?.[0];
  const binds: string[] = [];
  const volumesFrom: string[] = [];
  for (const v of i.volumes ?? []) {
    if (v.fromContainer) volumesFrom.push(v.fromContainer);
    else if (v.containerPath) binds.push(`${v.volumeName ?? v.hostPath ?? ""}${v.volumeName || v.hostPath ? ":" : ""}${v.containerPath}${v.readOnly ? ":ro" : ""}`);
  }
  const anonymous = (i.volumes ?? []).filter((v) => !v.volumeName && !v.hostPath && !v.fromContainer && v.containerPath);

  const hc = i.healthcheck;
  return compact({
    name: i.name,
    Image: i.image,
    Cmd: i.command,
    Entrypoint: i.entrypoints,
    Env: i.envs,
    Labels: Object.fromEntries((i.labels ?? []).map((l) => [l.label, l.value])),
    Hostname: i.hostname,
    Domainname: i.domainname,
    User: i.user,
    WorkingDir: i.workingDir,
    Tty: i.tty,
    OpenStdin: i.stdinOpen,
    StopSignal: i.stopSignal,
    StopTimeout: i.stopTimeout,
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Volumes: anonymous.length ? Object.fromEntries(anonymous.map((v) => [v.containerPath!, {}])) : undefined,
    Healthcheck: hc
      ? compact({ Test: hc.tests, Interval: durationNs(hc.interval), Timeout: durationNs(hc.timeout), StartPeriod: durationNs(hc.startPeriod), StartInterval: durationNs(hc.startInterval), Retries: hc.retries })
      : undefined,
    HostConfig: compact({
      PortBindings: Object.keys(bindings).length ? bindings : undefined,
      PublishAllPorts: i.publishAllPorts,
      NetworkMode: i.networkMode ?? first?.name,
      Binds: binds.filter((b) => b.includes(":")).length ? binds.filter((b) => b.includes(":")) : undefined,
      VolumesFrom: volumesFrom.length ? volumesFrom : undefined,
      Mounts: i.mounts?.map((m) =>
        compact({
          Target: m.target,
          Source: m.source,
          Type: m.type as "bind" | "volume" | "tmpfs",
          ReadOnly: m.readOnly,
          BindOptions: m.bindOptions?.propagation ? { Propagation: m.bindOptions.propagation as "private" } : undefined,
          VolumeOptions: m.volumeOptions
            ? compact({
                NoCopy: m.volumeOptions.noCopy,
                Labels: m.volumeOptions.labels ? Object.fromEntries(m.volumeOptions.labels.map((l) => [l.label, l.value])) : undefined,
                DriverConfig: m.volumeOptions.driverName ? { Name: m.volumeOptions.driverName, Options: m.volumeOptions.driverOptions ?? {} } : undefined,
                Subpath: m.volumeOptions.subpath,
              })
            : undefined,
          TmpfsOptions: m.tmpfsOptions ? compact({ SizeBytes: m.tmpfsOptions.sizeBytes, Mode: m.tmpfsOptions.mode }) : undefined,
        }) as Docker.MountSettings,
      ),
      Tmpfs: i.tmpfs,
      RestartPolicy: { Name: i.restart ?? "no", MaximumRetryCount: i.restart === "on-failure" ? (i.maxRetryCount ?? 0) : 0 },
      ExtraHosts: i.hosts?.map((h) => `${h.host}:${h.ip}`),
      Dns: i.dns,
      DnsOptions: i.dnsOpts,
      DnsSearch: i.dnsSearches,
      Privileged: i.privileged,
      CapAdd: i.capabilities?.adds,
      CapDrop: i.capabilities?.drops,
      SecurityOpt: i.securityOpts,
      Init: i.init,
      ReadonlyRootfs: i.readOnly,
      LogConfig: i.logDriver ? { Type: i.logDriver, Config: i.logOpts ?? {} } : undefined,
      Memory: i.memory !== undefined ? i.memory * MB : undefined,
      MemorySwap: i.memorySwap !== undefined ? i.memorySwap * MB : undefined,
      MemoryReservation: i.memoryReservation !== undefined ? i.memoryReservation * MB : undefined,
      ShmSize: i.shmSize !== undefined ? i.shmSize * MB : undefined,
      CpuShares: i.cpuShares,
      CpusetCpus: i.cpuSet,
      Sysctls: i.sysctls,
      Ulimits: i.ulimits?.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
      GroupAdd: i.groupAdds,
      IpcMode: i.ipcMode,
      PidMode: i.pidMode,
      Devices: i.devices?.map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath ?? d.hostPath, CgroupPermissions: d.permissions ?? "rwm" })),
    }),
    NetworkingConfig: first && !i.networkMode ? { EndpointsConfig: { [first.name]: endpointConfig(first) } } : undefined,
  });
}

export function endpointConfig(n: NonNullable<ContainerInputs["networksAdvanced"]>[number]): Docker.EndpointSettings {
  return compact({
    Aliases: n.aliases,
    IPAMConfig: n.ipv4Address || n.ipv6Address ? compact({ IPv4Address: n.ipv4Address, IPv6Address: n.ipv6Address }) : undefined,
    MacAddress: n.macAddress,
  });
}

/** The outputs the provider computes from an inspected container: assigned ports and per-network data. */
export function containerOutputs(inputs: ContainerInputs, info: Docker.ContainerInspectInfo): Record<string, unknown> {
  const published = info.NetworkSettings.Ports ?? {};
  const ports = (inputs.ports ?? []).map((p) => {
    const bound = published[`${p.internal}/${p.protocol ?? "tcp"}`]?.[0];
    return { internal: p.internal, external: bound ? Number(bound.HostPort) : p.external, ip: p.ip ?? "0.0.0.0", protocol: p.protocol ?? "tcp" };
  });
  const networkDatas = Object.entries(info.NetworkSettings.Networks ?? {}).map(([networkName, n]) => ({
    networkName,
    ipAddress: n.IPAddress,
    ipPrefixLength: n.IPPrefixLen,
    gateway: n.Gateway,
    macAddress: n.MacAddress,
    globalIpv6Address: n.GlobalIPv6Address,
    globalIpv6PrefixLength: n.GlobalIPv6PrefixLen,
    ipv6Gateway: n.IPv6Gateway,
  }));
  return {
    ...inputs,
    name: info.Name.replace(/^\//, ""),
    hostname: info.Config.Hostname,
    ports,
    networkDatas,
    bridge: info.NetworkSettings.Bridge ?? "",
    restart: inputs.restart ?? "no",
  };
}

/**
 * What the docker provider's Read sets from an inspected container for the attributes that can differ from
 * what was declared (resourceDockerContainerRead, resource_docker_container_funcs.go): among them the log
 * configuration the daemon filled in (log_opts from daemon.json's log-opts: kreuzwerker/terraform-provider-docker#873),
 * the restart policy, init, network mode and the healthcheck with Go duration strings.
 */
export function readBackContainer(info: Docker.ContainerInspectInfo): Record<string, unknown> {
  const hc = info.Config.Healthcheck as { Test?: string[]; Interval?: number; Timeout?: number; StartPeriod?: number; StartInterval?: number; Retries?: number } | undefined;
  const host = info.HostConfig as Docker.HostConfig & { Init?: boolean | null };
  return compact({
    name: info.Name.replace(/^\//, ""),
    hostname: info.Config.Hostname,
    logDriver: host.LogConfig?.Type,
    logOpts: host.LogConfig?.Config ?? {},
    restart: host.RestartPolicy?.Name || "no",
    maxRetryCount: host.RestartPolicy?.MaximumRetryCount ?? 0,
    init: host.Init ?? false,
    networkMode: host.NetworkMode,
    healthcheck: hc?.Test
      ? { tests: hc.Test, interval: goDuration(hc.Interval), timeout: goDuration(hc.Timeout), startPeriod: goDuration(hc.StartPeriod), startInterval: goDuration(hc.StartInterval), retries: hc.Retries ?? 0 }
      : undefined,
  });
}

/** Go's time.Duration.String() of nanoseconds ("1m30s", "500ms", "0s"): how the provider reads durations back. */
export function goDuration(ns: number | undefined): string {
  if (!ns) return "0s";
  const fmt = (x: number) => String(Number(x.toFixed(9)));
  if (ns < 1e3) return `${ns}ns`;
  if (ns < 1e6) return `${fmt(ns / 1e3)}µs`;
  if (ns < 1e9) return `${fmt(ns / 1e6)}ms`;
  const h = Math.floor(ns / 3600e9);
  const m = Math.floor((ns % 3600e9) / 60e9);
  const s = fmt((ns % 60e9) / 1e9);
  return h ? `${h}h${m}m${s}s` : m ? `${m}m${s}s` : `${s}s`;
}
