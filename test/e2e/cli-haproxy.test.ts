import { describe } from "vitest";
import { cliJourney } from "./cli-journey";

describe("the journey under the real Pulumi CLI, haproxy gateway", () => cliJourney("haproxy", 22570));
