/**
 * Test support: declares one Route under `pulumi.runtime.setMocks` and returns the `__provider` text the
 * engine would receive (for the serialization test and the provider test against a real etcd).
 */
import { captureSerializedProvider } from "../testing";

export function captureRouteProviderText(): Promise<string> {
  return captureSerializedProvider(async () => {
    const { Route } = await import("./index");
    new Route("serialize-probe", { service: "app", hosts: ["a.b.com"], connection: { endpoints: ["http://127.0.0.1:2379"] } });
  });
}
