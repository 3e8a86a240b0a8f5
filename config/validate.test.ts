import { describe, expect, it } from "vitest";
import { ok, problems } from "../test/helpers/config";
import { cidrProblem } from "./validate";

describe("validateConfig", () => {
  it("defaults deploy the dev stack to local Docker", () => {
    const c = ok();
    expect(c.target).toBe("docker");
    expect(c.prefix).toBe("switchyard-dev");
    expect(c.etcd).toEqual({ members: 3, image: "gcr.io/etcd-development/etcd:v3.5.17", proxyPort: 2379, callTimeoutMs: 5000, tls: false });
    expect(c.gateway).toEqual({ kind: "nginx", port: 8000, statsPort: 1936, metricsPort: 9100 });
    expect(c.registrator).toEqual({ ttlSeconds: 15, metricsPort: 9102 });
    expect(c.backend).toMatchObject({ service: "app", version: "v1", replicas: 2, port: 8080, healthPath: "/healthz", env: [] });
    expect(c.backend.image).toBeUndefined();
    expect(c.root).toBe("/switchyard");
    expect(c.aws).toBeUndefined();
  });

  it("parses typed values from their text", () => {
    const c = ok({ "etcd.members": "5", "backend.env": '["FAIL_HEALTH=1","A=b=c"]', root: "/svc/" });
    expect(c.etcd.members).toBe(5);
    expect(c.backend.env).toEqual(["FAIL_HEALTH=1", "A=b=c"]);
    expect(c.root).toBe("/svc");
  });

  it("rejects an unknown target and gateway kind, naming the setting and the choices", () => {
    expect(problems({ target: "gcp" })).toEqual([expect.stringMatching(/switchyard:target = 'gcp' is unknown; use docker, hosts or aws/)]);
    expect(problems({ "gateway.kind": "traefik" })).toEqual([expect.stringMatching(/switchyard:gateway.kind = 'traefik' is unknown; use nginx or haproxy/)]);
  });

  it.each(["2", "0", "-3", "4"])("rejects etcd.members = %s (not a positive odd number)", (n) => {
    expect(problems({ "etcd.members": n })).toEqual([expect.stringMatching(/switchyard:etcd.members = -?\d+ must be a positive odd number.*pulumi config set etcd.members 3/)]);
  });

  it("rejects a member count that is not a number", () => {
    expect(problems({ "etcd.members": "three" })[0]).toMatch(/switchyard:etcd.members = "three" is not a whole number/);
  });

  it.each([["gateway.port", "0"], ["gateway.port", "70000"], ["etcd.proxyPort", "65536"], ["backend.port", "-1"]])("rejects %s = %s (out of range)", (k, v) => {
    expect(problems({ [k]: v })).toEqual([expect.stringContaining(`switchyard:${k} = ${v} is not a TCP port (1-65535)`)]);
  });

  it("rejects colliding published ports", () => {
    expect(problems({ "gateway.statsPort": "8000" })).toEqual([
      "switchyard:gateway.port and switchyard:gateway.statsPort are both 8000; published ports must differ (change one of them)",
    ]);
  });

  it.each(["v1 beta", "-v1", ".v1", "a/b", "v1:2", ""])("rejects backend.version %j (not an image tag)", (v) => {
    expect(problems({ "backend.version": v })[0]).toMatch(/switchyard:backend.version = '.*' is not a valid image tag.*pulumi config set backend.version v2/);
  });

  it("rejects image references that are not references", () => {
    expect(problems({ "etcd.image": "Not An Image" })[0]).toMatch(/switchyard:etcd.image 'Not An Image' is not an image reference/);
    expect(problems({ "backend.image": "UPPER/case" })[0]).toMatch(/switchyard:backend.image/);
    expect(ok({ "etcd.image": `quay.io/coreos/etcd@sha256:${"a".repeat(64)}` }).etcd.image).toContain("@sha256:");
  });

  it("rejects empty and malformed names", () => {
    expect(problems({ "backend.service": "" })[0]).toMatch(/switchyard:backend.service: service name is empty/);
    expect(problems({ "backend.service": "my app" })[0]).toMatch(/service name 'my app' is invalid/);
    expect(problems({ root: "" })[0]).toMatch(/switchyard:root is empty/);
    expect(problems({ root: "/" })[0]).toMatch(/switchyard:root must not be '\/' alone/);
  });

  it("rejects backend.env entries that are not NAME=value, and a value that is not a list", () => {
    expect(problems({ "backend.env": '["FAIL_HEALTH"]' })[0]).toMatch(/switchyard:backend.env contains 'FAIL_HEALTH', which is not NAME=value/);
    expect(problems({ "backend.env": "FAIL_HEALTH=1" })[0]).toMatch(/switchyard:backend.env = "FAIL_HEALTH=1" is not a list of strings/);
  });

  it("names an unknown setting and suggests the right one", () => {
    expect(problems({ "backend.verison": "v2" })[0]).toMatch(/switchyard:backend.verison is not a switchyard setting/);
    expect(problems({ members: "3" })[0]).toMatch(/did you mean etcd.members\?/);
  });

  it("reports every problem at once", () => {
    expect(problems({ target: "x", "gateway.kind": "y", "etcd.members": "2" })).toHaveLength(3);
  });

  describe("aws settings (validated only on the aws target)", () => {
    const aws = { target: "aws", "aws.region": "eu-west-1", "aws.operatorCidr": "203.0.113.7/32" };
    it("etcd TLS is on by default on aws and cannot be turned off there; a setting on docker", () => {
      expect(problems({ ...aws, "etcd.tls": "false" })).toEqual([expect.stringMatching(/switchyard:etcd.tls = false is not allowed on the aws target.*pulumi config set etcd.tls true/)]);
      expect(ok({ "etcd.tls": "true" }).etcd.tls).toBe(true);
      expect(problems({ "etcd.tls": "yes" })).toEqual([expect.stringMatching(/switchyard:etcd.tls = "yes" is not true or false/)]);
    });
    it("accepts a complete aws config", () => {
      expect(ok(aws).aws).toEqual({ region: "eu-west-1", operatorCidr: "203.0.113.7/32", publicCidr: "0.0.0.0/0", backendHosts: 2, instanceType: "t3.small", ami: "", sshUser: "admin" });
      expect(ok(aws).etcd.tls).toBe(true);
    });
    it("requires an operator CIDR and refuses a world-open one", () => {
      expect(problems({ target: "aws", "aws.region": "eu-west-1" })[0]).toMatch(/switchyard:aws.operatorCidr is required/);
      expect(problems({ ...aws, "aws.operatorCidr": "0.0.0.0/0" })[0]).toMatch(/opens ssh and etcd to the whole internet/);
    });
    it.each(["10.0.0.0/33", "300.1.1.1/32", "1.2.3.4", "10.0.0.1/8"])("rejects malformed CIDR %s", (cidr) => {
      expect(problems({ ...aws, "aws.operatorCidr": cidr })[0]).toMatch(/switchyard:aws.operatorCidr '/);
    });
    it("needs a distinct host per etcd member: etcd + backend hosts >= etcd.members", () => {
      expect(problems({ ...aws, "aws.backendHosts": "1" })).toEqual([
        expect.stringMatching(/switchyard:aws.backendHosts = 1 gives 2 hosts for 3 etcd members, which must run on distinct hosts .*pulumi config set aws.backendHosts 2/),
      ]);
      expect(ok({ ...aws, "aws.backendHosts": "1", "etcd.members": "1" }).aws?.backendHosts).toBe(1);
      expect(problems({ ...aws, "etcd.members": "5", "aws.backendHosts": "3" })[0]).toMatch(/pulumi config set aws.backendHosts 4/);
    });
    it("checks the AMI id and the ssh user", () => {
      expect(ok({ ...aws, "aws.ami": "ami-0123456789abcdef0", "aws.sshUser": "ec2-user" }).aws).toMatchObject({ ami: "ami-0123456789abcdef0", sshUser: "ec2-user" });
      expect(problems({ ...aws, "aws.ami": "debian-12" })[0]).toMatch(/switchyard:aws.ami = 'debian-12' is not an AMI id/);
      expect(problems({ ...aws, "aws.sshUser": "root user" })[0]).toMatch(/switchyard:aws.sshUser = 'root user' is not a login name/);
    });
    it("rejects a region that is not a region name", () => {
      expect(problems({ ...aws, "aws.region": "europe" })[0]).toMatch(/switchyard:aws.region = 'europe' is not an AWS region name/);
    });
  });
});

describe("cidrProblem", () => {
  it("suggests the network address when host bits are set", () => {
    expect(cidrProblem("10.1.2.3/16")).toMatch(/did you mean 10.1.0.0\/16\?/);
    expect(cidrProblem("10.1.0.0/16")).toBeUndefined();
    expect(cidrProblem("0.0.0.0/0")).toBeUndefined();
  });
});

describe("platform", () => {
  it("is unset by default (the Docker host's own platform), accepts os/arch[/variant] and refuses anything else", () => {
    expect(ok().platform).toBeUndefined();
    expect(ok({ platform: "linux/arm64" }).platform).toBe("linux/arm64");
    expect(ok({ platform: "linux/arm/v7" }).platform).toBe("linux/arm/v7");
    expect(() => ok({ platform: "arm64" })).toThrow(/switchyard:platform = 'arm64' is not a platform .*pulumi config set platform linux\/amd64/);
  });
});
