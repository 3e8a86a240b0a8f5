/**
 * Test support: declares one EtcdAccess under `pulumi.runtime.setMocks` and returns the `__provider` text the
 * engine would receive (cf. provider/upstream/testing.ts).
 */
import * as pulumi from "@pulumi/pulumi";

export async function captureAccessProviderText(): Promise<string> {
  let resolveText: (t: string) => void = () => undefined;
  const text = new Promise<string>((r) => (resolveText = r));
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        if (typeof args.inputs.__provider === "string") resolveText(args.inputs.__provider);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => args.inputs,
    },
    "switchyard",
    "test",
    false,
  );
  const { EtcdAccess } = await import("./index");
  new EtcdAccess("serialize-probe", {
    connection: { endpoints: ["https://127.0.0.1:2379"], tls: { ca: "ca", cert: "cert", key: "key" } },
    plan: { roles: [], users: [{ name: "root", roles: ["root"] }] },
  });
  return Promise.race([
    text,
    new Promise<string>((_, reject) => setTimeout(() => reject(new Error("no __provider input seen within 30 s")), 30_000)),
  ]);
}
