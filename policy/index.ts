/**
 * The switchyard policy pack: `pulumi preview --policy-pack policy` / `pulumi up --policy-pack policy`.
 * Policies are mandatory unless marked advisory in their module; a pack config file changes any level
 * (see README "Policy pack").
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("switchyard", {
  description: "Guardrails for switchyard stacks: etcd quorum, TLS and exposure, pinned images, ssh, EC2 hardening, container health.",
  enforcementLevel: "mandatory",
  policies,
});
