/**
 * One `pulumi up` (or destroy) against the harness state: decides per registered resource whether it is
 * new, unchanged, updated or replaced, realizes that on Docker (or through its dynamic provider), and at the
 * end deletes what left the program, dependents first — the order the Pulumi engine uses.
 */
import type Docker from "dockerode";
import { randomUUID } from "node:crypto";
import { contextHash } from "../../components/image";
import { createLogger } from "../../lib/log";
import { deletionOrder, sameInputs } from "./plan";
import {
  buildImage, createContainer, createNetwork, createVolume, deleteContainer, deleteNetwork, deleteRemoteImage, deleteVolume, dockerClient, pullImage,
} from "./realize/docker";
import { checkDynamic, createDynamic, deleteDynamic, diffDynamic, updateDynamic, type DynamicDiff } from "./realize/dynamic";
import type { ContainerInputs } from "./realize/container-spec";
import { createTls, isTlsType } from "./realize/tls";
import type { ResourceRecord, StackState } from "./state";

type Props = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface Registration {
  urn: string;
  type: string;
  name: string;
  custom: boolean;
  parent: string;
  providerUrn: string;
  dependencies: string[];
  inputs: Props;
}

export type StepOp = "create" | "update" | "replace" | "delete" | "same";
export interface Step {
  op: StepOp;
  type: string;
  name: string;
  urn: string;
  /** Epoch milliseconds: when the step began and when it finished. */
  started: number;
  finished: number;
  detail?: string;
}

export interface DeploymentOptions {
  project: string;
  /** Network for image builds that do not set build.network (see README). */
  buildNetwork?: string;
  /** Called after every state change, so an interrupted run keeps what it did (like a checkpoint). */
  checkpoint: (state: StackState) => void;
}

const NETWORK = "docker:index/network:Network";
const VOLUME = "docker:index/volume:Volume";
const IMAGE = "docker:index/image:Image";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
const CONTAINER = "docker:index/container:Container";
// Dynamic resources may carry a module and type name: `pulumi-nodejs:dynamic/<module>:<type>`.
const isDynamic = (type: string) => type === "pulumi-nodejs:dynamic:Resource" || type.startsWith("pulumi-nodejs:dynamic/");
const isRealized = (type: string) => [NETWORK, VOLUME, IMAGE, REMOTE_IMAGE, CONTAINER].includes(type) || isDynamic(type) || isTlsType(type);

type Change = DynamicDiff;

export class Deployment {
  readonly steps: Step[] = [];
  readonly errors: Error[] = [];
  private readonly old: Map<string, ResourceRecord>;
  private readonly current = new Map<string, ResourceRecord>();
  /** Replaced create-before-delete: the old one is deleted with the rest at the end. */
  private readonly replacedLater: ResourceRecord[] = [];
  private seq: number;
  private readonly log = createLogger("harness");

  constructor(private readonly state: StackState, private readonly opts: DeploymentOptions) {
    this.old = new Map(state.resources.map((r) => [r.urn, r]));
    this.seq = Math.max(0, ...state.resources.map((r) => r.seq)) + 1;
  }

  private inFlight = 0;
  private lastActivity = Date.now();

  /** Milliseconds since the last registration started or finished, or 0 while one is in flight. */
  idleFor(): number {
    return this.inFlight > 0 ? 0 : Date.now() - this.lastActivity;
  }

  async register(reg: Registration): Promise<{ id: string; outputs: Props }> {
    this.inFlight++;
    this.lastActivity = Date.now();
    try {
      return await this.registerOne(reg);
    } finally {
      this.inFlight--;
      this.lastActivity = Date.now();
    }
  }

  private async registerOne(reg: Registration): Promise<{ id: string; outputs: Props }> {
    const dependencies = [...new Set([...reg.dependencies, reg.parent, reg.providerUrn].filter((u) => u && u !== reg.urn))];
    const old = this.old.get(reg.urn);
    const base = { urn: reg.urn, type: reg.type, name: reg.name, custom: reg.custom, dependencies, provider: reg.providerUrn };
    if (!reg.custom || reg.type.startsWith("pulumi:providers:")) {
      // Components and providers have nothing to realize; a provider keeps its id so references stay stable.
      const id = reg.custom ? (old?.id ?? randomUUID()) : "";
      this.keep({ ...base, id, inputs: reg.inputs, outputs: reg.custom ? reg.inputs : {}, seq: old?.seq ?? this.seq++ });
      return { id, outputs: reg.custom ? reg.inputs : {} };
    }
    if (!isRealized(reg.type)) throw new Error(`the harness does not emulate resources of type ${reg.type} (${reg.name})`);
    try {
      return await this.realize(reg, base, old);
    } catch (e) {
      const err = new Error(`${reg.type} ${reg.name}: ${(e as Error).message}`);
      this.errors.push(err);
      this.log.error({ type: reg.type, name: reg.name, err: (e as Error).message }, "step failed");
      throw err;
    }
  }

  private async realize(reg: Registration, base: Omit<ResourceRecord, "id" | "inputs" | "outputs" | "seq">, old: ResourceRecord | undefined) {
    const started = Date.now();
    const inputs = isDynamic(reg.type) ? await checkDynamic(old?.inputs ?? {}, reg.inputs, this.opts.project)
      : reg.type === IMAGE ? { ...reg.inputs, __contextDigest: imageContextDigest(reg.inputs) } : reg.inputs;
    const change: Change | "create" = old ? await this.diff(reg.type, old, inputs) : "create";
    const record = (id: string, outputs: Props, op: StepOp, detail?: string) => {
      this.keep({ ...base, id, inputs, outputs, seq: old && op !== "create" ? old.seq : this.seq++ });
      this.step({ op, type: reg.type, name: reg.name, urn: reg.urn, started, finished: Date.now(), detail });
      return { id, outputs };
    };
    switch (change) {
      case "none":
        this.keep({ ...old!, ...base });
        this.step({ op: "same", type: reg.type, name: reg.name, urn: reg.urn, started, finished: Date.now() });
        return { id: old!.id, outputs: old!.outputs };
      case "create": {
        const r = await this.create(reg.type, inputs, reg.providerUrn);
        return record(r.id, r.outputs, "create");
      }
      case "update": {
        const outputs = await this.update(reg.type, old!, inputs);
        return record(reg.type === IMAGE ? String(outputs.repoDigest) : old!.id, outputs, "update");
      }
      case "replace-delete-first": {
        await this.delete(old!);
        this.current.delete(reg.urn);
        const r = await this.create(reg.type, inputs, reg.providerUrn);
        return record(r.id, r.outputs, "replace", "delete-before-replace");
      }
      case "replace": {
        const r = await this.create(reg.type, inputs, reg.providerUrn);
        this.replacedLater.push(old!);
        return record(r.id, r.outputs, "replace", "create-before-delete");
      }
    }
  }

  private async diff(type: string, old: ResourceRecord, inputs: Props): Promise<Change> {
    const changed = !sameInputs(old.inputs, inputs);
    if (isDynamic(type)) return diffDynamic(old.id, old.outputs, inputs, changed, this.opts.project);
    if (!changed) return "none";
    // The image rebuilds in place; networks, volumes and containers carry fixed names, so they are replaced
    // delete-first (the engine would fail creating a second object with the same name).
    // A RemoteImage is replaced create-first (the new image exists before the old one may be removed).
    // Keys and certificates are replaced create-first, as the tls provider does (nothing named to collide).
    return type === IMAGE ? "update" : type === REMOTE_IMAGE || isTlsType(type) ? "replace" : "replace-delete-first";
  }

  private docker(providerUrn: string): Docker {
    const provider = this.current.get(providerUrn) ?? this.old.get(providerUrn);
    return dockerClient(provider?.inputs.host as string | undefined);
  }

  private async create(type: string, inputs: Props, providerUrn: string): Promise<{ id: string; outputs: Props }> {
    if (isTlsType(type)) return createTls(type, inputs);
    const d = this.docker(providerUrn);
    switch (type) {
      case NETWORK: return createNetwork(d, inputs);
      case VOLUME: return createVolume(d, inputs);
      case IMAGE: return buildImage(d, inputs, this.opts.buildNetwork);
      case REMOTE_IMAGE: return pullImage(d, inputs);
      case CONTAINER: return createContainer(d, inputs as unknown as ContainerInputs);
      default: return createDynamic(inputs, this.opts.project);
    }
  }

  private async update(type: string, old: ResourceRecord, inputs: Props): Promise<Props> {
    if (type === IMAGE) return (await buildImage(this.docker(old.provider), inputs, this.opts.buildNetwork)).outputs;
    return updateDynamic(old.id, old.outputs, inputs, this.opts.project);
  }

  private async delete(r: ResourceRecord): Promise<void> {
    if (!r.custom || r.type.startsWith("pulumi:providers:") || isTlsType(r.type)) return;
    const d = this.docker(r.provider);
    switch (r.type) {
      case NETWORK: return deleteNetwork(d, r.id);
      case VOLUME: return deleteVolume(d, r.id);
      case IMAGE: return; // as the provider: "does not delete tags, locally or remotely, when destroyed"
      case REMOTE_IMAGE: return deleteRemoteImage(d, r.outputs);
      case CONTAINER: return deleteContainer(d, r.id, r.outputs as unknown as ContainerInputs);
    }
    if (isDynamic(r.type)) return deleteDynamic(r.id, r.outputs, this.opts.project);
  }

  /** After the program: delete what it no longer declares (and replaced leftovers), dependents first. */
  async deleteLeftovers(): Promise<void> {
    const gone = [...this.old.values()].filter((r) => !this.current.has(r.urn));
    await this.deleteAll([...gone, ...this.replacedLater]);
  }

  /** `pulumi destroy`: everything, dependents first. */
  async destroyAll(): Promise<void> {
    await this.deleteAll([...this.old.values()]);
  }

  private async deleteAll(doomed: ResourceRecord[]): Promise<void> {
    for (const r of deletionOrder(doomed)) {
      const started = Date.now();
      await this.delete(r);
      this.old.delete(r.urn);
      const i = this.replacedLater.indexOf(r);
      if (i >= 0) this.replacedLater.splice(i, 1);
      if (r.custom) this.step({ op: "delete", type: r.type, name: r.name, urn: r.urn, started, finished: Date.now() });
      this.checkpoint();
    }
  }

  private keep(r: ResourceRecord): void {
    this.current.set(r.urn, r);
    this.checkpoint();
  }

  private step(s: Step): void {
    this.steps.push(s);
    if (s.op !== "same") this.log.info({ op: s.op, type: s.type, name: s.name, ms: s.finished - s.started, detail: s.detail }, "step");
  }

  /** The state as it stands: resources of this run, plus old ones not yet deleted (a failed run keeps them). */
  snapshot(outputs?: Props): StackState {
    const resources = new Map(this.old);
    for (const [urn, r] of this.current) resources.set(urn, r);
    return { version: 1, resources: [...resources.values(), ...this.replacedLater].sort((a, b) => a.seq - b.seq), outputs: outputs ?? this.state.outputs };
  }

  private checkpoint(): void {
    this.opts.checkpoint(this.snapshot());
  }
}

function imageContextDigest(inputs: Props): string {
  const context = inputs.build?.context;
  return typeof context === "string" ? contextHash(context) : "";
}
