/**
 * Least privilege inside containers (README "Security model", finding 5): no privileged or host-namespace
 * containers, every capability dropped with only the needed ones added back and no privilege gain through
 * setuid binaries, private keys uploaded 0600, and no direct Docker socket in a container (whoever holds the
 * socket is root on the host, read-only bind or not).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, describeContainer, plain, type ContainerInputs } from "./resources";

/** Capabilities that amount to root on the host, or to escaping the container. */
const HOST_LEVEL_CAPS = new Set(["ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "NET_ADMIN", "DAC_READ_SEARCH", "SYS_BOOT", "MAC_ADMIN", "BPF", "PERFMON"]);
const capName = (c: string) => c.toUpperCase().replace(/^CAP_/, "");

export const containerNotPrivileged: ResourceValidationPolicy = {
  name: "container-not-privileged",
  description: "No container is privileged, shares the host's PID/IPC namespace, adds host-level capabilities, runs unconfined or explicitly as root.",
  enforcementLevel: "mandatory",
  severity: "critical",
  validateResource: (args, report) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const p = args.props as ContainerInputs;
    const label = describeContainer(args.name, p);
    if (p.privileged) report(`${label} is privileged: it can do anything root on the Docker host can. Fix: remove privileged and add only the capabilities it needs (capabilities.adds).`);
    for (const ns of ["pidMode", "ipcMode"] as const) {
      if (p[ns] === "host") report(`${label} shares the host's ${ns === "pidMode" ? "PID" : "IPC"} namespace (${ns} = "host"). Fix: remove ${ns}.`);
    }
    const added: string[] = (plain(p.capabilities)?.adds ?? []).map(capName).filter((c: string) => HOST_LEVEL_CAPS.has(c));
    if (added.length) report(`${label} adds host-level capabilities ${added.join(", ")}. Fix: drop them; switchyard's containers need at most CHOWN, SETUID, SETGID and NET_BIND_SERVICE.`);
    const unconfined: string[] = (plain(p.securityOpts) ?? []).filter((o: string) => /^(seccomp|apparmor)[=:]unconfined$/i.test(o));
    if (unconfined.length) report(`${label} disables its kernel confinement (${unconfined.join(", ")}). Fix: remove these securityOpts.`);
    if (p.user !== undefined && /^(root|0)(:.*)?$/.test(String(p.user))) report(`${label} is told to run as root (user = "${p.user}"). Fix: run as the image's unprivileged user, or leave user unset for an image whose entrypoint drops root itself.`);
  },
};

export const containerLeastPrivilege: ResourceValidationPolicy = {
  name: "container-least-privilege",
  description: "Every long-running container drops all capabilities (adding back only what it needs) and sets no-new-privileges.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const p = args.props as ContainerInputs;
    if (p.rm || p.attach) return args.notApplicable("a one-off container");
    const label = describeContainer(args.name, p);
    const drops: string[] = (plain(p.capabilities)?.drops ?? []).map(capName);
    if (!drops.includes("ALL")) {
      report(`${label} keeps Docker's default capabilities (${drops.length ? `drops only ${drops.join(", ")}` : "drops none"}), e.g. CHOWN, DAC_OVERRIDE, FOWNER, NET_RAW, SETUID. Fix: capabilities = { drops: ["ALL"], adds: [only what it needs] } (components/hardening.ts).`);
    }
    const nnp = (plain(p.securityOpts) ?? []).some((o: string) => /^no-new-privileges(?:[:=]true)?$/i.test(o));
    if (!nnp) report(`${label} does not set no-new-privileges: a setuid binary in the image can regain root's privileges. Fix: securityOpts = ["no-new-privileges:true"].`);
  },
};

/** A file that holds a private key, by its name (content is a secret the pack cannot always read). */
export const isKeyFile = (file: string) => /(^|[/._-])key(\.pem)?$|\.key$|-key\.pem$|_key$|id_(rsa|ecdsa|ed25519)$/i.test(file);
const PRIVATE_MODES = new Set(["600", "0600", "400", "0400", "0o600", "0o400"]);

export const keyUploadsPrivate: ResourceValidationPolicy = {
  name: "key-uploads-private",
  description: "A private key uploaded into a container has mode 0600 (or 0400): not readable by the container's other users.",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const p = args.props as ContainerInputs;
    const raw = plain(p.uploads);
    const uploads: NonNullable<ContainerInputs["uploads"]> = Array.isArray(raw) ? raw : [];
    const keys = uploads.filter((u) => typeof u.file === "string" && (isKeyFile(u.file) || (typeof u.content === "string" && u.content.includes("PRIVATE KEY"))));
    if (keys.length === 0) return args.notApplicable("uploads no private key");
    for (const u of keys) {
      const mode = u.permissions === undefined ? undefined : String(u.permissions);
      if (mode !== undefined && PRIVATE_MODES.has(mode)) continue;
      report(`${describeContainer(args.name, p)} uploads the private key ${u.file} with mode ${mode ?? "unset (the provider's default 0644: world-readable)"}. Fix: uploads[].permissions = "0600".`);
    }
  },
};

export const DOCKER_SOCKETS = ["/var/run/docker.sock", "/run/docker.sock"];

export const dockerSocketNotMounted: ResourceValidationPolicy = {
  name: "docker-socket-not-mounted",
  description: "No container mounts the Docker socket: whoever holds it can start a privileged container, i.e. is root on the host. A ':ro' bind does not help (it protects the socket file, not the API).",
  enforcementLevel: "advisory",
  severity: "high",
  validateResource: (args, report) => {
    if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
    const p = args.props as ContainerInputs;
    const sources = [
      ...((plain(p.volumes) ?? []) as NonNullable<ContainerInputs["volumes"]>).map((v) => v.hostPath),
      ...((plain(p.mounts) ?? []) as NonNullable<ContainerInputs["mounts"]>).filter((m) => m.type === "bind").map((m) => m.source),
    ].filter((s): s is string => typeof s === "string");
    const socket = sources.find((s) => DOCKER_SOCKETS.includes(s.replace(/\/+$/, "")));
    if (!socket) return;
    report(`${describeContainer(args.name, p)} mounts the Docker socket ${socket}: anything running in it can create a privileged container and own the host. ` +
      "Fix: give it a Docker API proxy that allows only what it needs (for the registrator: GET /containers/json, /containers/{id}/json, /events), or accept the risk for that one container (README \"Security model\").");
  },
};
