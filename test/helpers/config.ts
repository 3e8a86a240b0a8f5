/** Config validation as tests call it: the accepted config, or the list of problems of a rejected one. */
import { expect } from "vitest";
import { ConfigError, validateConfig } from "../../config/validate";

export const ok = (raw: Record<string, string> = {}) => validateConfig(raw, "switchyard", "dev");

/** The list of problems a config yields (fails the test if it is accepted). */
export function problems(raw: Record<string, string>): string[] {
  try {
    ok(raw);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error(`config was accepted: ${JSON.stringify(raw)}`);
}
