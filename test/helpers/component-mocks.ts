/**
 * Pulumi mocks for component unit tests: every registered resource is recorded in `seen`, state echoes the
 * inputs. Call once per test file (it registers a beforeAll).
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll } from "vitest";

export function recordResources(): pulumi.runtime.MockResourceArgs[] {
  const seen: pulumi.runtime.MockResourceArgs[] = [];
  beforeAll(async () => {
    await pulumi.runtime.setMocks(
      {
        newResource(args) {
          seen.push(args);
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      "switchyard",
      "test",
      false,
    );
  });
  return seen;
}

/**
 * Resolves once no registration is still in flight: the SDK's own count of pending RPCs (what the language
 * host waits for before it disconnects), so a negative check ("no Image") does not race a late registration.
 */
export async function waitForRegistrations(): Promise<void> {
  const settings = (await import("@pulumi/pulumi/runtime/settings")) as unknown as { waitForRPCs(): Promise<void> };
  await settings.waitForRPCs();
}

/** The value of an Output, once known. */
export const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

/** Secret inputs reach the mock monitor wrapped as {<sig>: ..., value}. */
export const unsecret = (v: unknown) => (v && typeof v === "object" && "value" in (v as object) ? (v as { value: unknown }).value : v);
