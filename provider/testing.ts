/**
 * Test support for dynamic providers: runs `declare` (which declares one resource) under
 * `pulumi.runtime.setMocks` and returns the `__provider` text the engine would receive.
 */
import * as pulumi from "@pulumi/pulumi";

export async function captureSerializedProvider(declare: () => Promise<void>): Promise<string> {
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
  await declare();
  return Promise.race([
    text,
    new Promise<string>((_, reject) => setTimeout(() => reject(new Error("no __provider input seen within 30 s")), 30_000)),
  ]);
}
