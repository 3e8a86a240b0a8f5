import { describe } from "vitest";
import { cliJourney } from "./cli-journey";

describe("the journey under the real Pulumi CLI, nginx gateway", () => cliJourney("nginx", 22470));
