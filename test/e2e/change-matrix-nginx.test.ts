import { describe } from "vitest";
import { changeMatrix } from "./change-matrix";

describe("the change matrix through the nginx gateway", () => changeMatrix("nginx", 21380));
