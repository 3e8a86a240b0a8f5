/**
 * Test support: declares one EtcdAccess under `pulumi.runtime.setMocks` and returns the `__provider` text the
 * engine would receive (cf. provider/upstream/testing.ts).
 */
import { captureSerializedProvider } from "../testing";

export function captureAccessProviderText(): Promise<string> {
  return captureSerializedProvider(async () => {
    const { EtcdAccess } = await import("./index");
    new EtcdAccess("serialize-probe", {
      connection: { endpoints: ["https://127.0.0.1:2379"], tls: { ca: "ca", cert: "cert", key: "key" } },
      plan: { roles: [], users: [{ name: "root", roles: ["root"] }] },
    });
  });
}
