import { describe } from "vitest";
import { journey } from "./journey";

describe("the journey with the haproxy gateway", () => journey("haproxy", 22370));
