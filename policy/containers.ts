/**
 * Every long-running container restarts on its own and says when it is healthy (advisory). A restart policy
 * brings a crashed etcd member, gateway or registrator back without an operator; a healthcheck lets the
 * registrator register a backend only once it serves, and shows up in `docker ps`. One-shot containers
 * (attach / rm) are not long-running and are skipped.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, describeContainer, type ContainerInputs } from "./resources";

const RESTARTING = ["always", "unless-stopped", "on-failure"];

function longRunningContainer(args: ResourceValidationArgs): ContainerInputs {
  if (args.type !== TYPES.container) return args.notApplicable("only docker containers are checked");
  const props = args.props as ContainerInputs;
  if (props.attach === true || props.rm === true) return args.notApplicable("one-shot container (attach or rm)");
  return props;
}

export const containerRestartPolicy: ResourceValidationPolicy = {
  name: "container-restart-policy",
  description: "Every long-running container has a restart policy (always, unless-stopped or on-failure).",
  enforcementLevel: "advisory",
  severity: "low",
  validateResource: (args, reportViolation) => {
    const props = longRunningContainer(args);
    if (props.restart !== undefined && RESTARTING.includes(props.restart.split(":")[0])) return;
    reportViolation(
      `${describeContainer(args.name, props)} has restart policy ${props.restart === undefined ? "not set (Docker's default is \"no\")" : `"${props.restart}"`}, ` +
        `so a crash or a daemon restart leaves it down until the next \`pulumi up\`. Fix: set restart: "unless-stopped" (or "always" / "on-failure").`,
    );
  },
};

export const containerHealthcheck: ResourceValidationPolicy = {
  name: "container-healthcheck",
  description: "Every long-running container declares a healthcheck.",
  enforcementLevel: "advisory",
  severity: "low",
  validateResource: (args, reportViolation) => {
    const props = longRunningContainer(args);
    const tests = props.healthcheck?.tests;
    if (Array.isArray(tests) && tests.length > 0 && tests[0] !== "NONE") return;
    const why = tests?.[0] === "NONE" ? "disables its healthcheck (tests = [\"NONE\"])" : "declares no healthcheck";
    reportViolation(
      `${describeContainer(args.name, props)} ${why}, so Docker, the registrator and operators cannot tell a hung process from a healthy one. ` +
        `Fix: set healthcheck: { tests: ["CMD", "<probe>", ...], interval: "5s", retries: 3 } in exec form ` +
        `(a HEALTHCHECK baked into the image is invisible to this policy; declare it in the program).`,
    );
  },
};
