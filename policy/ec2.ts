/**
 * EC2 hardening for the AWS target's hosts: IMDSv2 only (a container or process that can make a plain GET
 * to 169.254.169.254 must not be able to lift the instance role's credentials), and encrypted root volumes
 * (etcd's data and the Docker images live there).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES } from "./resources";

export const ec2Imdsv2Required: ResourceValidationPolicy = {
  name: "ec2-imdsv2-required",
  description: "EC2 instances require IMDSv2 session tokens (metadataOptions.httpTokens = \"required\").",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.instance) return args.notApplicable("only EC2 instances are checked");
    const md = (args.props.metadataOptions ?? {}) as { httpTokens?: string; httpEndpoint?: string };
    // With the metadata endpoint switched off there is nothing to steal.
    if (md.httpEndpoint === "disabled") return;
    if (md.httpTokens !== "required") {
      reportViolation(
        `EC2 instance "${args.name}" allows IMDSv1 (metadataOptions.httpTokens is ${md.httpTokens === undefined ? "not set, which defaults to \"optional\"" : `"${md.httpTokens}"`}): ` +
          `any process or container that can be tricked into a GET to 169.254.169.254 can read the instance role's credentials. ` +
          `Fix: set metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" } on the instance.`,
      );
    }
  },
};

export const ec2RootVolumeEncrypted: ResourceValidationPolicy = {
  name: "ec2-root-volume-encrypted",
  description: "EC2 instances have an encrypted root volume (rootBlockDevice.encrypted = true).",
  enforcementLevel: "mandatory",
  severity: "high",
  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.instance) return args.notApplicable("only EC2 instances are checked");
    const root = (args.props.rootBlockDevice ?? {}) as { encrypted?: boolean | string };
    if (root.encrypted !== true && root.encrypted !== "true") {
      reportViolation(
        `EC2 instance "${args.name}" has an unencrypted root volume (rootBlockDevice.encrypted is ${root.encrypted === undefined ? "not set" : String(root.encrypted)}); ` +
          `etcd's data and the container images live on it. Fix: set rootBlockDevice: { encrypted: true } (optionally kmsKeyId for a customer-managed key).`,
      );
    }
  },
};
