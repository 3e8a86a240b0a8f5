import { describe, expect, it } from "vitest";
import { ec2Imdsv2Required, ec2RootVolumeEncrypted } from "./ec2";
import { TYPES } from "./resources";
import { runResourcePolicy } from "./testing";

const instance = (props: Record<string, unknown>) => ({
  type: TYPES.instance,
  name: "etcd-host",
  props: { ami: "ami-1", instanceType: "t3.small", metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" }, rootBlockDevice: { encrypted: true, volumeSize: 20 }, ...props },
});

describe("ec2-imdsv2-required", () => {
  it("passes httpTokens required, and a disabled metadata endpoint", async () => {
    expect((await runResourcePolicy(ec2Imdsv2Required, instance({}))).violations).toEqual([]);
    expect((await runResourcePolicy(ec2Imdsv2Required, instance({ metadataOptions: { httpEndpoint: "disabled" } }))).violations).toEqual([]);
  });

  it("rejects missing metadataOptions and httpTokens optional", async () => {
    expect((await runResourcePolicy(ec2Imdsv2Required, instance({ metadataOptions: undefined }))).violations).toEqual([
      expect.stringContaining('EC2 instance "etcd-host" allows IMDSv1 (metadataOptions.httpTokens is not set, which defaults to "optional")'),
    ]);
    const optional = await runResourcePolicy(ec2Imdsv2Required, instance({ metadataOptions: { httpTokens: "optional" } }));
    expect(optional.violations).toEqual([expect.stringContaining('(metadataOptions.httpTokens is "optional")')]);
    expect(optional.violations[0]).toContain('Fix: set metadataOptions: { httpTokens: "required"');
  });

  it("is not applicable to containers", async () => {
    expect((await runResourcePolicy(ec2Imdsv2Required, { type: TYPES.container, props: {} })).notApplicable).toMatch(/EC2/);
  });
});

describe("ec2-root-volume-encrypted", () => {
  it("passes an encrypted root volume", async () => {
    expect((await runResourcePolicy(ec2RootVolumeEncrypted, instance({}))).violations).toEqual([]);
  });

  it("rejects a missing root block device and encrypted false", async () => {
    expect((await runResourcePolicy(ec2RootVolumeEncrypted, instance({ rootBlockDevice: undefined }))).violations).toEqual([
      expect.stringContaining('EC2 instance "etcd-host" has an unencrypted root volume (rootBlockDevice.encrypted is not set)'),
    ]);
    const off = await runResourcePolicy(ec2RootVolumeEncrypted, instance({ rootBlockDevice: { encrypted: false } }));
    expect(off.violations).toEqual([expect.stringContaining("(rootBlockDevice.encrypted is false)")]);
    expect(off.violations[0]).toContain("Fix: set rootBlockDevice: { encrypted: true }");
  });
});
