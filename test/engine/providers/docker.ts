/**
 * A DOUBLE of the docker resource provider plugin (pulumi-resource-docker 4.11.2) for the real Pulumi CLI in
 * tests: the real plugin cannot be built here (its source needs patched upstream submodules) nor downloaded.
 * It serves the provider protocol with the SDK's provider support (@pulumi/pulumi/provider) and realizes
 * resources on the real Docker engine with the harness's realization code (test/harness/realize/docker.ts:
 * one copy). Replace/update rules, defaults and what Read returns follow the real provider (rules.ts cites
 * the schema); `pulumi plugin install resource docker 4.11.2 -f <dir>` installs it (scripts/build-engine).
 *
 * Provider configuration (`host`) is captured from Configure (see configureHook); without it, DOCKER_HOST or
 * the local socket, as the provider does.
 */
import * as grpc from "@grpc/grpc-js";
import * as provider from "@pulumi/pulumi/provider";
import type Docker from "dockerode";
import { contextHash } from "../../../components/image";
import {
  buildImage, createContainer, createNetwork, createVolume, deleteContainer, deleteNetwork, deleteRemoteImage, deleteVolume, dockerClient,
  pullImage, readBackContainer, updateContainerResources,
} from "../../harness/realize/docker";
import type { ContainerInputs } from "../../harness/realize/container-spec";
import {
  CONTAINER_DEFAULTS, CONTAINER_LIVE_UPDATE, CONTAINER_RULES, NETWORK_RULES, REMOTE_IMAGE_RULES, VOLUME_RULES, diffByRules, unknownKeys, type PropRule,
} from "./rules";
import { keepSecrets, reveal } from "./secrets";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const VERSION = "4.11.2";
const T = {
  container: "docker:index/container:Container",
  network: "docker:index/network:Network",
  volume: "docker:index/volume:Volume",
  image: "docker:index/image:Image",
  remoteImage: "docker:index/remoteImage:RemoteImage",
};
const typeOf = (urn: string) => urn.split("::")[2]?.split("$").pop() ?? "";
const nameOf = (urn: string) => urn.split("::").pop() ?? urn;

// ---- provider configuration ----

let configuredHost: string | undefined;
/**
 * The SDK's provider server answers Configure without handing the variables to the provider; the docker
 * provider's only setting the program uses is `host`. Wrap the server's configure handler to read it.
 */
function configureHook(): void {
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (service, impl: Props) {
    const configure = impl.configure?.bind(impl);
    if (configure) {
      impl.configure = (call: Props, callback: unknown) => {
        const vars = call.request.getVariablesMap?.();
        const fromVars = vars?.get?.("docker:config:host") ?? vars?.get?.("docker:host");
        const fromArgs = call.request.getArgs?.()?.toJavaScript?.()?.host;
        configuredHost = (fromArgs ?? fromVars) || undefined;
        return configure(call, callback);
      };
    }
    return addService.call(this, service, impl);
  };
}
const docker = (): Docker => dockerClient(configuredHost ?? process.env.DOCKER_HOST);

const isNotFound = (e: unknown) => (e as { statusCode?: number }).statusCode === 404;

// ---- per type ----

const RULES: Record<string, Record<string, PropRule>> = {
  [T.container]: CONTAINER_RULES, [T.network]: NETWORK_RULES, [T.volume]: VOLUME_RULES, [T.remoteImage]: REMOTE_IMAGE_RULES,
};
/** ports' `external` is Optional+Computed in the schema (a free port when left out). */
const COMPUTED_NESTED = new Set(["external"]);

async function check(urn: string, _olds: Props, news: Props): Promise<provider.CheckResult> {
  const type = typeOf(urn);
  if (type === T.image) {
    // As the provider's Check (pulumi-docker provider/provider.go): the build context's digest becomes an
    // implicit input, so a change in the context's files is a diff.
    const build = { dockerfile: "Dockerfile", context: ".", ...(news.build ?? {}) };
    const context = reveal(build.context);
    return { inputs: { ...news, build: { ...build, contextDigest: typeof context === "string" ? contextHash(context) : "" } } };
  }
  const rules = RULES[type];
  if (!rules) return { failures: [{ property: "", reason: `the docker provider double does not implement ${type} (${nameOf(urn)})` }] };
  const unknown = unknownKeys(rules, news);
  if (unknown.length) return { failures: unknown.map((p) => ({ property: p, reason: `the docker provider double does not know ${type} input ${p}` })) };
  return { inputs: type === T.container ? { ...CONTAINER_DEFAULTS, ...news } : news };
}

async function diff(_id: string, urn: string, olds: Props, news: Props): Promise<provider.DiffResult> {
  const type = typeOf(urn);
  if (type === T.image) {
    // The image keeps its inputs in `__inputs`; any change rebuilds in place (never replaced).
    const changed = JSON.stringify(reveal(olds.__inputs ?? {})) !== JSON.stringify(reveal(news));
    return { changes: changed };
  }
  const d = diffByRules(RULES[type], reveal(olds), reveal(news), COMPUTED_NESTED);
  return { changes: d.changed.length > 0, replaces: d.replaces };
}

async function create(urn: string, inputs: Props): Promise<provider.CreateResult> {
  const i = reveal(inputs);
  const d = docker();
  let r: { id: string; outputs: Props };
  switch (typeOf(urn)) {
    case T.container: {
      r = await createContainer(d, i as ContainerInputs);
      // The provider's Create ends with its Read: the outputs are what the daemon reports.
      r = { id: r.id, outputs: { ...r.outputs, ...readBackContainer(await d.getContainer(r.id).inspect()) } };
      break;
    }
    case T.network: r = await createNetwork(d, i); break;
    case T.volume: r = await createVolume(d, i); break;
    case T.remoteImage: r = await pullImage(d, i); break;
    case T.image: {
      r = await buildImage(d, i, process.env.SWITCHYARD_BUILD_NETWORK || undefined);
      r = { id: String(r.outputs.repoDigest), outputs: { ...r.outputs, __inputs: inputs } };
      break;
    }
    default: throw new Error(`the docker provider double does not implement ${typeOf(urn)}`);
  }
  return { id: r.id, outs: keepSecrets(inputs, r.outputs) };
}

async function update(id: string, urn: string, olds: Props, news: Props): Promise<provider.UpdateResult> {
  const type = typeOf(urn);
  const n = reveal(news);
  if (type === T.image) {
    const r = await buildImage(docker(), n, process.env.SWITCHYARD_BUILD_NETWORK || undefined);
    return { outs: keepSecrets(news, { ...r.outputs, __inputs: news }) };
  }
  if (type === T.container) {
    const o = reveal(olds);
    // Only these reach the running container; the rest of an in-place change is recorded in the state only.
    if (CONTAINER_LIVE_UPDATE.some((k) => JSON.stringify(o[k]) !== JSON.stringify(n[k]))) await updateContainerResources(docker(), id, n as ContainerInputs);
    return { outs: keepSecrets(news, { ...olds, ...n, ...readBackContainer(await docker().getContainer(id).inspect()) }) };
  }
  // Network, volume: nothing updates in place. RemoteImage: keepLocally/forceRemove are state only.
  return { outs: keepSecrets(news, { ...olds, ...n }) };
}

async function del(id: string, urn: string, props: Props): Promise<void> {
  const p = reveal(props);
  const d = docker();
  switch (typeOf(urn)) {
    case T.container: return deleteContainer(d, id, p as ContainerInputs);
    case T.network: return deleteNetwork(d, id);
    case T.volume: return deleteVolume(d, id);
    case T.remoteImage: return deleteRemoteImage(d, p);
    case T.image: return; // the provider's Delete does nothing (tags stay)
  }
}

/**
 * Read (refresh), as the provider: a container that is gone leaves the state; one that is not running while
 * `mustRun` is set is removed and leaves the state too (resourceDockerContainerRead → Delete, then the next
 * up creates it); otherwise the daemon's view replaces what the state had for the attributes Read sets.
 */
async function read(id: string, urn: string, props: Props): Promise<provider.ReadResult> {
  const d = docker();
  const p = reveal(props ?? {});
  const gone = { id: "", props: {} };
  try {
    switch (typeOf(urn)) {
      case T.container: {
        const info = await d.getContainer(id).inspect();
        if (!info.State.Running && p.mustRun !== false) {
          await deleteContainer(d, id, p as ContainerInputs);
          return gone;
        }
        return { id, props: keepSecrets(props, { ...props, ...readBackContainer(info) }) };
      }
      case T.network: await d.getNetwork(id).inspect(); return { id, props };
      case T.volume: await d.getVolume(id).inspect(); return { id, props };
      case T.remoteImage: await d.getImage(p.name).inspect(); return { id, props };
      default: return { id, props }; // Image: "Return properties as passed, since we do no reconciliation"
    }
  } catch (e) {
    if (isNotFound(e)) return gone;
    throw e;
  }
}

if (require.main === module) {
  configureHook();
  void provider.main({ version: VERSION, check, diff, create, update, delete: del, read }, process.argv.slice(2));
}
