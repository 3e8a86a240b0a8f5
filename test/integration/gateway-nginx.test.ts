import { defineGatewaySuite } from "./gateway-suite";

defineGatewaySuite("nginx");
