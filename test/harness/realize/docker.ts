/**
 * Realizes @pulumi/docker resources on a real Docker engine through dockerode: networks, volumes, images
 * (built from their context), containers. One function per operation; diffing lives in ../plan.ts.
 */
import Docker from "dockerode";
import fs from "node:fs";
import path from "node:path";
import { containerCreateOptions, containerOutputs, endpointConfig, readBackContainer, type ContainerInputs } from "./container-spec";

export { readBackContainer };
import { tarFiles } from "./tar";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A dockerode client for a docker.Provider's `host` input (undefined: DOCKER_HOST or the local socket). */
export function dockerClient(host: string | undefined): Docker {
  if (!host) return new Docker();
  const url = new URL(host);
  if (url.protocol === "unix:") return new Docker({ socketPath: url.pathname });
  if (url.protocol === "tcp:" || url.protocol === "http:") return new Docker({ host: url.hostname, port: Number(url.port || 2375) });
  throw new Error(`the harness cannot reach a Docker host "${host}" (only unix:// and tcp:// are emulated, not ssh://)`);
}

const isNotFound = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

// ---- networks ----

export async function createNetwork(d: Docker, i: Props): Promise<{ id: string; outputs: Props }> {
  const net = await d.createNetwork({
    Name: i.name,
    Driver: i.driver ?? "bridge",
    Internal: i.internal,
    Attachable: i.attachable,
    EnableIPv6: i.ipv6,
    Options: i.options,
    Labels: Object.fromEntries(((i.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value])),
    IPAM: i.ipamConfigs?.length
      ? { Driver: i.ipamDriver ?? "default", Config: (i.ipamConfigs as Props[]).map((c) => ({ Subnet: c.subnet, Gateway: c.gateway, IPRange: c.ipRange, AuxiliaryAddresses: c.auxAddress })) }
      : undefined,
  });
  const info = await net.inspect();
  const ipamConfigs = ((info.IPAM?.Config ?? []) as Props[]).map((c) => ({ subnet: c.Subnet, gateway: c.Gateway, ipRange: c.IPRange, auxAddress: c.AuxiliaryAddresses }));
  return { id: info.Id, outputs: { ...i, name: info.Name, driver: info.Driver, scope: info.Scope, internal: info.Internal, ipamConfigs } };
}

export async function deleteNetwork(d: Docker, id: string): Promise<void> {
  await d.getNetwork(id).remove().catch((e) => { if (!isNotFound(e)) throw e; });
}

// ---- volumes ----

export async function createVolume(d: Docker, i: Props): Promise<{ id: string; outputs: Props }> {
  const created = await d.createVolume({
    Name: i.name,
    Driver: i.driver ?? "local",
    DriverOpts: i.driverOpts,
    Labels: Object.fromEntries(((i.labels ?? []) as { label: string; value: string }[]).map((l) => [l.label, l.value])),
  });
  // dockerode resolves createVolume with a handle, not the volume's data: inspect for the name and mountpoint.
  const info = await d.getVolume((created as unknown as { name: string }).name).inspect();
  return { id: info.Name, outputs: { ...i, name: info.Name, mountpoint: info.Mountpoint, driver: info.Driver } };
}

export async function deleteVolume(d: Docker, id: string): Promise<void> {
  await d.getVolume(id).remove().catch((e) => { if (!isNotFound(e)) throw e; });
}

// ---- images ----

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk("");
  return out;
}

/**
 * Builds `build.context` with the classic builder. `network` comes from `build.network`, else the harness's
 * default (see README: on machines whose default bridge is unusable, builds run on the host network).
 */
export async function buildImage(d: Docker, i: Props, defaultNetwork: string | undefined): Promise<{ id: string; outputs: Props }> {
  const build = (i.build ?? {}) as Props;
  const context = path.resolve(build.context ?? ".");
  const dockerfile = build.dockerfile ? path.relative(context, path.resolve(context, build.dockerfile)) : "Dockerfile";
  if (dockerfile.startsWith("..")) throw new Error(`the harness needs the Dockerfile inside the build context (${build.dockerfile} is outside ${context})`);
  const stream = await d.buildImage({ context, src: filesUnder(context) }, {
    t: i.imageName,
    dockerfile,
    buildargs: build.args ?? {},
    networkmode: build.network ?? defaultNetwork,
    target: build.target,
    rm: true,
    forcerm: true,
  } as Docker.ImageBuildOptions);
  const events = await new Promise<Props[]>((resolve, reject) =>
    d.modem.followProgress(stream, (err: Error | null, res: Props[]) => (err ? reject(err) : resolve(res))),
  );
  const failed = events.find((e) => e.error || e.errorDetail);
  if (failed) {
    const tail = events.filter((e) => typeof e.stream === "string").map((e) => e.stream).join("").split("\n").slice(-15).join("\n");
    throw new Error(`docker build of ${i.imageName} failed: ${failed.error ?? failed.errorDetail?.message}\n${tail}`);
  }
  const info = await d.getImage(i.imageName).inspect();
  // The provider's repoDigest for a local image is a digest reference; the image ID serves the same purpose
  // here (unique per build, accepted by the engine wherever an image is named).
  return { id: info.Id, outputs: { ...i, imageName: i.imageName, baseImageName: i.imageName, repoDigest: info.Id, context, dockerfile: path.join(context, dockerfile), platform: build.platform, registryServer: "" } };
}

/**
 * A RemoteImage: the provider pulls `name` unless the daemon already has it (no registry is reachable
 * here, so an image missing locally fails with the pull's message). `build` is not emulated.
 */
export async function pullImage(d: Docker, i: Props): Promise<{ id: string; outputs: Props }> {
  if (i.build) throw new Error("the harness does not emulate docker.RemoteImage's build input (use docker.Image)");
  let info = await d.getImage(i.name).inspect().catch((e) => { if (isNotFound(e)) return undefined; throw e; });
  if (!info) {
    const stream = await d.pull(i.name, i.platform ? { platform: i.platform } : {});
    await new Promise((resolve, reject) => d.modem.followProgress(stream, (err: Error | null, res: unknown) => (err ? reject(err) : resolve(res))));
    info = await d.getImage(i.name).inspect();
  }
  const imageId = info.Id;
  return { id: `${imageId}${i.name}`, outputs: { ...i, imageId, repoDigest: info.RepoDigests?.[0] ?? "" } };
}

/** As the provider: removed on delete unless keepLocally; an image still in use stays. */
export async function deleteRemoteImage(d: Docker, outputs: Props): Promise<void> {
  if (outputs.keepLocally) return;
  await d.getImage(outputs.name).remove({ force: Boolean(outputs.forceRemove) }).catch((e) => {
    if (!isNotFound(e) && (e as { statusCode?: number }).statusCode !== 409) throw e;
  });
}

// ---- containers ----

async function waitHealthy(c: Docker.Container, name: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await c.inspect();
    const health = info.State.Health?.Status;
    if (!info.State.Running) throw new Error(`container ${name} exited (code ${info.State.ExitCode}) while waiting for it to be healthy`);
    if (health === "healthy" || health === undefined) return;
    if (Date.now() > deadline) throw new Error(`container ${name} did not become healthy within ${timeoutMs / 1000} s (health: ${health})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export async function createContainer(d: Docker, i: ContainerInputs): Promise<{ id: string; outputs: Props }> {
  const c = await d.createContainer(containerCreateOptions(i));
  try {
    // The docker provider creates in network mode "bridge" (its default) and, with networksAdvanced, leaves the
    // default bridge before connecting them (resource_docker_container_funcs.go, Create).
    if (i.networkMode === "bridge" && i.networksAdvanced?.length) await d.getNetwork("bridge").disconnect({ Container: c.id });
    for (const n of (i.networksAdvanced ?? []).slice(i.networkMode ? 0 : 1)) {
      await d.getNetwork(n.name).connect({ Container: c.id, EndpointConfig: endpointConfig(n) });
    }
    if (i.uploads?.length) {
      // Uploads land before start, as with the provider; each file is extracted at its absolute path.
      const files = i.uploads.map((u) => ({
        path: u.file,
        content: u.contentBase64 !== undefined ? Buffer.from(u.contentBase64, "base64") : u.source ? fs.readFileSync(u.source) : Buffer.from(u.content ?? ""),
        mode: u.permissions ? parseInt(u.permissions, 8) : u.executable ? 0o755 : 0o644,
      }));
      await c.putArchive(tarFiles(files), { path: "/" });
    }
    if (i.start !== false) {
      await c.start();
      if (i.wait) await waitHealthy(c, i.name ?? c.id, (i.waitTimeout ?? 60) * 1000);
      else if (i.mustRun !== false) {
        const info = await c.inspect();
        if (!info.State.Running && !i.rm) throw new Error(`container ${i.name ?? c.id} is not running after start (exit code ${info.State.ExitCode})`);
      }
    }
    return { id: c.id, outputs: containerOutputs(i, await c.inspect()) };
  } catch (e) {
    // The provider taints a container that failed to come up; the harness removes it so a retry can reuse the name.
    await c.remove({ force: true, v: true }).catch(() => undefined);
    throw e;
  }
}

/** The provider's in-place update of a running container: restart policy and resources (ContainerUpdate). */
export async function updateContainerResources(d: Docker, id: string, i: ContainerInputs): Promise<void> {
  const MB = 1024 * 1024;
  await d.getContainer(id).update({
    RestartPolicy: { Name: i.restart ?? "no", MaximumRetryCount: i.maxRetryCount ?? 0 },
    CpuShares: i.cpuShares ?? 0,
    Memory: (i.memory ?? 0) * MB,
    MemoryReservation: (i.memoryReservation ?? 0) * MB,
    CpusetCpus: i.cpuSet ?? "",
    ...(i.memorySwap ? { MemorySwap: i.memorySwap > 0 ? i.memorySwap * MB : i.memorySwap } : {}),
  });
}

/**
 * As the provider does: stop with destroyGraceSeconds when it is set (SIGTERM, then SIGKILL after the grace
 * period), otherwise remove by force (SIGKILL).
 */
export async function deleteContainer(d: Docker, id: string, outputs: ContainerInputs): Promise<void> {
  const c = d.getContainer(id);
  try {
    if (outputs.destroyGraceSeconds) await c.stop({ t: outputs.destroyGraceSeconds }).catch((e) => { if ((e as { statusCode?: number }).statusCode !== 304) throw e; });
    await c.remove({ force: true, v: outputs.removeVolumes ?? true });
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}
