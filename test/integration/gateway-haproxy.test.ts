import { defineGatewaySuite } from "./gateway-suite";

defineGatewaySuite("haproxy");
