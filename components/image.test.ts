import { describe, expect, it } from "vitest";
import { recordResources, value } from "../test/helpers/component-mocks";

const seen = recordResources();

describe("imageTag", () => {
  it("changes with the content, the base image's name, the base image's ID and the platform", async () => {
    const { imageTag } = await import("./image");
    const base = { content: "c0ffee", baseImage: "debian:bookworm-slim", baseImageId: "sha256:aaa" };
    const tag = imageTag(base);
    expect(tag).toMatch(/^[0-9a-f]{12}$/);
    expect(imageTag({ ...base })).toBe(tag);
    // A rebuilt or re-pulled base under the same name is a new image: the tag must change so containers roll.
    expect(imageTag({ ...base, baseImageId: "sha256:bbb" })).not.toBe(tag);
    expect(imageTag({ ...base, content: "c0ffef" })).not.toBe(tag);
    expect(imageTag({ ...base, baseImage: "debian:trixie-slim" })).not.toBe(tag);
    expect(imageTag({ ...base, platform: "linux/arm64" })).not.toBe(tag);
  });
});

describe("builtImage (under mocks)", () => {
  it("builds for the Docker host's own platform unless one is given, and tags with the base image's ID", async () => {
    const docker = await import("@pulumi/docker");
    const pulumi = await import("@pulumi/pulumi");
    const { builtImage, prepareContext, BACKEND_IMAGE_SPEC } = { ...(await import("./image")), ...(await import("./backend")) };
    const provider = new docker.Provider("img-docker", {});
    const parent = new pulumi.ComponentResource("test:img:Parent", "img-parent");
    const dir = prepareContext("img-test", BACKEND_IMAGE_SPEC);
    const native = builtImage("native", { context: dir, repository: "sy-test-backend", baseImage: "debian:bookworm-slim", provider }, parent);
    const arm = builtImage("arm", { context: dir, repository: "sy-test-backend", baseImage: "debian:bookworm-slim", platform: "linux/arm64", provider }, parent);
    const [nativeName, armName] = [await value(native.imageName), await value(arm.imageName)];
    await value(native.id);
    await value(arm.id);
    const img = (n: string) => seen.find((r) => r.type === "docker:index/image:Image" && r.name === n)!;
    expect(img("native").inputs.build.platform).toBeUndefined();
    expect(img("arm").inputs.build.platform).toBe("linux/arm64");
    const bases = seen.filter((r) => r.type === "docker:index/remoteImage:RemoteImage");
    expect(bases.map((b) => [b.name, b.inputs.name, b.inputs.keepLocally, b.inputs.platform])).toEqual([
      ["native-base", "debian:bookworm-slim", true, undefined],
      ["arm-base", "debian:bookworm-slim", true, "linux/arm64"],
    ]);
    expect(nativeName).toMatch(/^sy-test-backend:[0-9a-f]{12}$/);
    expect(armName).not.toBe(nativeName);
  });
});
