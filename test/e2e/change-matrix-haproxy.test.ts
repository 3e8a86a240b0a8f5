import { describe } from "vitest";
import { changeMatrix } from "./change-matrix";

describe("the change matrix through the haproxy gateway", () => changeMatrix("haproxy", 21390));
