import { describe } from "vitest";
import { e2eName } from "./fixture";
import { journey } from "./journey";

describe(e2eName("the journey with the haproxy gateway"), () => journey("haproxy", 22370));
