import { describe } from "vitest";
import { e2eName } from "./fixture";
import { servicesJourney } from "./services";

describe(e2eName("two services from config (004's domains) with the haproxy gateway"), () => servicesJourney("haproxy", 28370));
