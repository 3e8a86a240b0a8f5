import { describe } from "vitest";
import { e2eName } from "./fixture";
import { servicesJourney } from "./services";

describe(e2eName("two services from config (004's domains) with the nginx gateway"), () => servicesJourney("nginx", 27370));
