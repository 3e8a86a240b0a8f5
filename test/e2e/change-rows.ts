/**
 * The rows of the change matrix (issue 12), shared by the end-to-end tests (change-matrix.ts) and the
 * benchmark (bench/scenarios/change-matrix.ts): each row is a config change applied with one `up` to a
 * running stack, and the kind of plan it must make.
 */
import { docker, type E2EStack } from "./fixture";

/** One row: the config it changes (merged into the config so far) and what its steps must show. */
export interface ChangeRow {
  name: string;
  config: Record<string, string>;
  /** Prepares the row on the running stack (e.g. tags an image), before the load starts. */
  before?(s: E2EStack): Promise<void>;
  expect: "new-generation" | "scale-up" | "scale-down" | "in-place";
}

/** The backend generation of a container or resource name ("app-v1-3fa2c1-local-0" -> "v1-3fa2c1"), or undefined. */
export const generationOf = (name: string): string | undefined => /(?:^|-)app-(v[^-]+-[0-9a-f]{6})-local-\d+(?:-upstream)?$/.exec(name)?.[1];

export const CUSTOM_IMAGE_TAG = (s: E2EStack) => `${s.prefix}-custom-backend:1`;

export const BACKEND_ROWS: ChangeRow[] = [
  { name: "backend.env", config: { "backend.env": JSON.stringify(["COLOR=blue"]) }, expect: "new-generation" },
  {
    name: "backend.image",
    // Any image serving HTTP: the demo image under another name (a plain string, its own identity).
    config: {},
    async before(s) {
      const images = await docker.listImages({ filters: { reference: [`${s.prefix}-backend`] } });
      const tag = images[0]?.RepoTags?.[0];
      if (!tag) throw new Error(`no ${s.prefix}-backend image to tag`);
      const [repo, version] = CUSTOM_IMAGE_TAG(s).split(":");
      await docker.getImage(tag).tag({ repo, tag: version });
      this.config = { "backend.image": CUSTOM_IMAGE_TAG(s) };
    },
    expect: "new-generation",
  },
  { name: "backend.healthPath", config: { "backend.healthPath": "/ready" }, expect: "new-generation" },
  { name: "backend.port", config: { "backend.port": "8081" }, expect: "new-generation" },
  { name: "backend.replicas_up", config: { "backend.replicas": "3" }, expect: "scale-up" },
  { name: "backend.replicas_down", config: { "backend.replicas": "1" }, expect: "scale-down" },
  { name: "backend.version", config: { "backend.version": "v2", "backend.replicas": "2" }, expect: "new-generation" },
];

export const AGENT_ROWS: ChangeRow[] = [
  { name: "registrator.ttlSeconds", config: { "registrator.ttlSeconds": "6" }, expect: "in-place" },
];


/** The published port of the gateway, from the stack's URL (the other ports follow it, see fixture.ts). */
const gatewayPort = (s: E2EStack) => Number(new URL(s.gatewayUrl).port);

/**
 * Changes that replace the gateway container in place today (fixed name, the published port moves with it):
 * measured by the benchmark, not asserted by the tests (README "Changes that are not zero-downtime").
 */
export const GATEWAY_ROWS: ChangeRow[] = [
  {
    name: "gateway.metricsPort",
    config: {},
    async before(s) {
      // fixture.ts lays out proxy, gateway, stats, metrics, registrator metrics at base..base+4: base+5 is ours too.
      this.config = { "gateway.metricsPort": String(gatewayPort(s) + 4) };
    },
    expect: "in-place",
  },
  {
    // A new switchyard release is a new agent image; a new base image rebuilds every image the program builds.
    name: "agent.image",
    config: {},
    async before(s) {
      const repo = `${s.prefix}-base`;
      await docker.getImage("debian:bookworm-slim").tag({ repo, tag: "2" });
      this.config = { baseImage: `${repo}:2` };
    },
    expect: "new-generation",
  },
];

/**
 * Hooks for the etcd rows (issue 12 items 2 and 5, components/etcd/**): run by `npm run bench --
 * change-matrix-etcd` only, because until the membership changes land they re-bootstrap the cluster.
 */
export const ETCD_ROWS: ChangeRow[] = [
  {
    name: "etcd.image",
    config: {},
    async before(s) {
      const repo = `${s.prefix}-etcd`;
      await docker.getImage("switchyard-test/etcd:3.4-bookworm").tag({ repo, tag: "2" });
      this.config = { "etcd.image": `${repo}:2` };
    },
    expect: "in-place",
  },
  { name: "etcd.members_3_to_5", config: { "etcd.members": "5" }, expect: "in-place" },
  { name: "etcd.members_5_to_3", config: { "etcd.members": "3" }, expect: "in-place" },
];
