/**
 * Images are pinned: no `latest`, no missing tag (which Docker reads as `latest`); a digest is best.
 * Checked where an image reference enters the stack: a container's `image`, a RemoteImage's `name`, and the
 * `imageName` of an image the program builds (those carry a content-hash tag, so they pass).
 */
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isUnknownDuringPreview } from "./resources";

export interface ImageRef {
  /** Repository with registry and path, without tag or digest. */
  repository: string;
  tag?: string;
  digest?: string;
}

/** Parses "registry:5000/path/name:tag@sha256:..." (the tag is after the last ':' of the last path segment). */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf("@");
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const named = at >= 0 ? ref.slice(0, at) : ref;
  const slash = named.lastIndexOf("/");
  const colon = named.lastIndexOf(":");
  if (colon > slash) return { repository: named.slice(0, colon), tag: named.slice(colon + 1), digest };
  return { repository: named, digest };
}

/** Why a reference is not pinned, or undefined when it is. */
export function unpinnedReason(ref: string): string | undefined {
  // A bare image ID ("sha256:<hex>") names content, like a digest.
  if (/^sha256:[0-9a-f]{12,64}$/i.test(ref)) return undefined;
  const p = parseImageRef(ref);
  if (p.digest) return undefined;
  if (p.tag === undefined || p.tag === "") return "has no tag, so Docker pulls \"latest\"";
  if (p.tag.toLowerCase() === "latest") return "uses the floating tag \"latest\"";
  return undefined;
}

const FIELDS: Record<string, { field: string; what: string }> = {
  [TYPES.container]: { field: "image", what: "container" },
  [TYPES.remoteImage]: { field: "name", what: "remote image" },
  [TYPES.builtImage]: { field: "imageName", what: "built image" },
};

export const imagesPinned: ResourceValidationPolicy = {
  name: "images-pinned",
  description: "Images are pinned to a version tag or a digest: no `latest`, no missing tag.",
  enforcementLevel: "mandatory",
  severity: "medium",
  validateResource: (args, reportViolation) => {
    const f = FIELDS[args.type];
    if (!f) return args.notApplicable("only docker containers, remote images and built images carry image references");
    let ref: unknown;
    try {
      ref = args.props[f.field];
    } catch (e) {
      // A container's image is usually another resource's output (a RemoteImage's imageId, a built image's
      // digest): unknown during preview, checked on that resource now and on this one during the update.
      if (isUnknownDuringPreview(e)) return args.notApplicable(`${f.field} is computed from another resource; checked during the update`);
      throw e;
    }
    if (typeof ref !== "string" || ref.length === 0) {
      reportViolation(`The ${f.what} "${args.name}" has no ${f.field}. Fix: set ${f.field} to a pinned reference such as "repo/name:v1.2.3" or "repo/name@sha256:<digest>".`);
      return;
    }
    const reason = unpinnedReason(ref);
    if (!reason) return;
    const { repository } = parseImageRef(ref);
    reportViolation(
      `The ${f.what} "${args.name}" ${f.field} "${ref}" ${reason}: every pull may run different code, and a re-run of the stack cannot reproduce what is deployed. ` +
        `Fix: pin a version tag ("${repository}:<version>") or, best, a digest ("${repository}@sha256:<digest>"); ` +
        `for an image that comes from stack config, change the setting (etcd.image, backend.image, baseImage), e.g. pulumi config set etcd.image gcr.io/etcd-development/etcd:v3.5.17.`,
    );
  },
};
