/**
 * The testbed of the owned-key provider tests (Upstream gate, Route): a real 3-member etcd behind the real
 * proxy, the provider loaded from its serialized `__provider` text the way Pulumi's dynamic-provider host loads
 * it, an operator client, and simulated gateways (provider/upstream/testing.ts) stopped after each test.
 * Call it at the top of a test file; its fields are set once beforeAll has run.
 */
import type { Etcd3 } from "etcd3";
import type * as pulumi from "@pulumi/pulumi";
import { afterAll, afterEach, beforeAll } from "vitest";
import { connectEtcd } from "../../lib/etcd/client";
import { loadSerializedProvider } from "../../provider/upstream/host";
import { startSimGateway, type SimGateway } from "../../provider/upstream/testing";
import { startEtcdCluster, type TestCluster } from "./etcd-cluster";

export interface ProviderTestbed {
  cluster: TestCluster;
  admin: Etcd3;
  provider: pulumi.dynamic.ResourceProvider;
  /** A simulated gateway under `root`, stopped after the test. */
  sim(root: string, id: string, mode?: SimGateway["mode"]): Promise<SimGateway>;
}

export function providerTestbed(captureText: () => Promise<string>): ProviderTestbed {
  const sims: SimGateway[] = [];
  const bed = {
    async sim(root: string, id: string, mode: SimGateway["mode"] = "ack") {
      const s = await startSimGateway(bed.admin, root, id, { mode });
      sims.push(s);
      return s;
    },
  } as ProviderTestbed;
  beforeAll(async () => {
    const [c, text] = await Promise.all([startEtcdCluster({ size: 3 }), captureText()]);
    bed.cluster = c;
    bed.provider = loadSerializedProvider(text);
    bed.admin = connectEtcd(c.connection());
  }, 120_000);
  afterEach(async () => {
    await Promise.all(sims.splice(0).map((s) => s.stop()));
  });
  afterAll(async () => {
    bed.admin?.close();
    await bed.cluster?.stop();
  });
  return bed;
}
