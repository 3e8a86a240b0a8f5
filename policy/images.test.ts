import { describe, expect, it } from "vitest";
import { container } from "./fixtures";
import { imagesPinned, parseImageRef, unpinnedReason } from "./images";
import { TYPES } from "./resources";
import { runResourcePolicy } from "./testing";

describe("parseImageRef / unpinnedReason", () => {
  it("splits registry ports, tags and digests", () => {
    expect(parseImageRef("localhost:5000/team/app")).toEqual({ repository: "localhost:5000/team/app", digest: undefined });
    expect(parseImageRef("localhost:5000/team/app:1.2")).toEqual({ repository: "localhost:5000/team/app", tag: "1.2", digest: undefined });
    expect(parseImageRef("gcr.io/etcd-development/etcd:v3.5.17@sha256:abcd")).toEqual({ repository: "gcr.io/etcd-development/etcd", tag: "v3.5.17", digest: "sha256:abcd" });
  });

  it("accepts tags, digests and image IDs; rejects latest and no tag", () => {
    expect(unpinnedReason("debian:bookworm-slim")).toBeUndefined();
    expect(unpinnedReason("quay.io/coreos/etcd@sha256:0123")).toBeUndefined();
    expect(unpinnedReason("sha256:0123456789abcdef0123")).toBeUndefined();
    expect(unpinnedReason("quay.io/coreos/etcd:latest")).toMatch(/latest/);
    expect(unpinnedReason("localhost:5000/etcd")).toMatch(/no tag/);
  });
});

describe("images-pinned", () => {
  it("passes a pinned container image, a content-hash built image and a digest-pinned remote image", async () => {
    expect((await runResourcePolicy(imagesPinned, container({ image: "gcr.io/etcd-development/etcd:v3.5.17" }))).violations).toEqual([]);
    expect((await runResourcePolicy(imagesPinned, { type: TYPES.builtImage, name: "gateway-image", props: { imageName: "switchyard-dev-gateway:0a1b2c3d4e5f", skipPush: true } })).violations).toEqual([]);
    expect((await runResourcePolicy(imagesPinned, { type: TYPES.remoteImage, name: "etcd-image", props: { name: "quay.io/coreos/etcd@sha256:0123abcd" } })).violations).toEqual([]);
  });

  it("rejects latest on a container, with the fix", async () => {
    const { violations } = await runResourcePolicy(imagesPinned, container({ image: "quay.io/coreos/etcd:latest" }, "etcd-0"));
    expect(violations).toEqual([expect.stringContaining('The container "etcd-0" image "quay.io/coreos/etcd:latest" uses the floating tag "latest"')]);
    expect(violations[0]).toContain('Fix: pin a version tag ("quay.io/coreos/etcd:<version>") or, best, a digest ("quay.io/coreos/etcd@sha256:<digest>")');
    expect(violations[0]).toContain("pulumi config set etcd.image");
  });

  it("rejects a missing tag on a remote image and on a built image", async () => {
    const remote = await runResourcePolicy(imagesPinned, { type: TYPES.remoteImage, name: "etcd-image", props: { name: "quay.io/coreos/etcd" } });
    expect(remote.violations).toEqual([expect.stringContaining('The remote image "etcd-image" name "quay.io/coreos/etcd" has no tag, so Docker pulls "latest"')]);
    const built = await runResourcePolicy(imagesPinned, { type: TYPES.builtImage, name: "gw", props: { imageName: "switchyard-dev-gateway" } });
    expect(built.violations).toEqual([expect.stringContaining('The built image "gw" imageName "switchyard-dev-gateway" has no tag')]);
  });

  it("rejects a container without an image", async () => {
    const { violations } = await runResourcePolicy(imagesPinned, container({ image: undefined }, "x"));
    expect(violations).toEqual([expect.stringContaining('The container "x" has no image. Fix: set image to a pinned reference')]);
  });

  it("defers an image computed from another resource (unknown during preview) to the update", async () => {
    const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"; // @pulumi/policy's sentinel for an unknown string
    const { violations, notApplicable } = await runResourcePolicy(imagesPinned, container({ image: UNKNOWN_STRING }));
    expect(violations).toEqual([]);
    expect(notApplicable).toMatch(/computed from another resource/);
  });

  it("is not applicable to other resources", async () => {
    expect((await runResourcePolicy(imagesPinned, { type: "docker:index/network:Network", props: {} })).notApplicable).toBeDefined();
  });
});
