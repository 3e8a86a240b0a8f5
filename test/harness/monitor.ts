/**
 * The resource monitor the program talks to. The SDK's MockMonitor already speaks the monitor protocol
 * (URNs, property (de)serialization, invokes, registerResourceOutputs); this subclass replaces the one call
 * that matters: registerResource hands each resource to the deployment (./deployment.ts), which realizes
 * it on Docker and answers with real outputs. The program awaits the answer, so dependents register only
 * after what they depend on exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { deserializeProperties, serializeProperties, specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as structproto from "google-protobuf/google/protobuf/struct_pb";
import type { Deployment, Registration } from "./deployment";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const resproto = require("@pulumi/pulumi/proto/resource_pb");

type Props = Record<string, unknown>;

const isSecret = (v: unknown): v is { value: unknown } =>
  typeof v === "object" && v !== null && (v as Props)[specialSigKey] === specialSecretSig;

/** Providers receive plain values (the dynamic-provider host does not accept secrets either). */
export function unwrapSecrets(v: unknown): unknown {
  if (isSecret(v)) return unwrapSecrets(v.value);
  if (Array.isArray(v)) return v.map(unwrapSecrets);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unwrapSecrets(x)]));
  return v;
}

/** The URN the engine would assign (MockMonitor's rule: the parent's type chain, then the type and name). */
export function resourceUrn(parent: string | undefined, type: string, name: string): string {
  const qualified = parent ? `${parent.split("::")[2].split("$").pop()}$${type}` : type;
  return `urn:pulumi:${pulumi.getStack()}::${pulumi.getProject()}::${qualified}::${name}`;
}

export class HarnessMonitor extends MockMonitor {
  constructor(private readonly deployment: Deployment) {
    super({
      newResource: () => { throw new Error("unreachable: registerResource is overridden"); },
      call: async (args) => { throw new Error(`the harness does not emulate the invoke ${args.token}`); },
    });
  }

  // The SDK passes protobuf requests; the types are generated JS without declarations worth importing.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  override async registerResource(req: any, callback: (err: any, resp?: any) => void): Promise<void> {
    try {
      const raw = deserializeProperties(req.getObject()) as Props;
      const providerRef: string = req.getProvider() ?? "";
      const registration: Registration = {
        urn: resourceUrn(req.getParent(), req.getType(), req.getName()),
        type: req.getType(),
        name: req.getName(),
        custom: req.getCustom(),
        parent: req.getParent() ?? "",
        providerUrn: providerRef ? providerRef.slice(0, providerRef.lastIndexOf("::")) : "",
        dependencies: req.getDependenciesList() as string[],
        inputs: unwrapSecrets(raw) as Props,
      };
      const { id, outputs } = await this.deployment.register(registration);
      // Outputs of inputs that were secret stay secret, as the engine keeps them.
      const marked = Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, isSecret(raw[k]) ? pulumi.secret(v) : v]));
      const serialized = await serializeProperties("harness", marked);
      this.resources.set(registration.urn, { urn: registration.urn, id, state: serialized });
      const resp = new resproto.RegisterResourceResponse();
      resp.setUrn(registration.urn);
      resp.setId(id);
      resp.setObject(structproto.Struct.fromJavaScript(serialized));
      callback(null, resp);
    } catch (err) {
      callback(err);
    }
  }
}
