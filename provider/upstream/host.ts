/**
 * Loads a serialized dynamic provider exactly as Pulumi's dynamic-provider host does
 * (@pulumi/pulumi/cmd/dynamic-provider/index.js, `getProvider`): `requireFromString(text).handler()`, with
 * require-from-string's default file name "". Used by the serialization tests and by anything that must run
 * the provider from its `__provider` text outside the Pulumi engine (the test deployment harness).
 */
import path from "node:path";
import type * as pulumi from "@pulumi/pulumi";

export function loadSerializedProvider(text: string): pulumi.dynamic.ResourceProvider {
  // The host resolves require-from-string from @pulumi/pulumi's own dependencies; so do we.
  const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const requireFromString = require(require.resolve("require-from-string", { paths: [pulumiDir] })) as (code: string) => { handler(): pulumi.dynamic.ResourceProvider };
  return requireFromString(text).handler();
}
