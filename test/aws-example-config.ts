/** The config of Pulumi.aws.yaml (flat `switchyard:<key>: <value>` lines), as runProgram takes it. */
import { readFileSync } from "node:fs";
import path from "node:path";

export function exampleAwsConfig(): Record<string, string> {
  const text = readFileSync(path.resolve(__dirname, "../Pulumi.aws.yaml"), "utf8");
  const config: Record<string, string> = {};
  for (const m of text.matchAll(/^ {2}switchyard:([\w.]+): *(.+?) *$/gm)) config[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  return config;
}
