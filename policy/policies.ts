/**
 * Every policy of the pack, in one list. index.ts hands it to a PolicyPack (which starts the analyzer server,
 * so tests import this module instead); tests run each policy directly.
 */
import type { Policies } from "@pulumi/policy";
import { containerHealthcheck, containerRestartPolicy } from "./containers";
import { ec2Imdsv2Required, ec2RootVolumeEncrypted } from "./ec2";
import { etcdClusterComplete, etcdMemberCount, etcdSingleMember } from "./etcd-cluster";
import { etcdTlsAcrossHosts, etcdTlsEverywhere } from "./etcd-tls";
import { etcdPortsNotPublic, securityGroupNoAllPortsBetweenHosts, sshNotOpenToWorld, statsNotPublic } from "./exposure";
import { containerLeastPrivilege, containerNotPrivileged, dockerSocketNotMounted, keyUploadsPrivate } from "./hardening";
import { imagesPinned } from "./images";

export { containerHealthcheck, containerRestartPolicy } from "./containers";
export { ec2Imdsv2Required, ec2RootVolumeEncrypted } from "./ec2";
export { etcdClusterComplete, etcdMemberCount, etcdSingleMember } from "./etcd-cluster";
export { etcdTlsAcrossHosts, etcdTlsEverywhere } from "./etcd-tls";
export { etcdPortsNotPublic, securityGroupNoAllPortsBetweenHosts, sshNotOpenToWorld, statsNotPublic } from "./exposure";
export { containerLeastPrivilege, containerNotPrivileged, dockerSocketNotMounted, keyUploadsPrivate } from "./hardening";
export { imagesPinned } from "./images";

export const policies: Policies = [
  etcdMemberCount,
  etcdSingleMember,
  etcdClusterComplete,
  imagesPinned,
  etcdPortsNotPublic,
  sshNotOpenToWorld,
  ec2Imdsv2Required,
  ec2RootVolumeEncrypted,
  containerRestartPolicy,
  containerHealthcheck,
  etcdTlsAcrossHosts,
  etcdTlsEverywhere,
  statsNotPublic,
  securityGroupNoAllPortsBetweenHosts,
  containerNotPrivileged,
  containerLeastPrivilege,
  keyUploadsPrivate,
  dockerSocketNotMounted,
];
