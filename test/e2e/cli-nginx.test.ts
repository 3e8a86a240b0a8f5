import { describe } from "vitest";
import { engineBuilt } from "../engine/cli";
import { cliJourney } from "./cli-journey";

// Skipped until ./scripts/build-engine has run here (SWITCHYARD_ENGINE=1 ./scripts/setup-test-env).
describe.skipIf(!engineBuilt())("the journey under the real Pulumi CLI, nginx gateway", () => cliJourney("nginx", 22470));
