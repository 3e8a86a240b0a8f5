import { describe, expect, it } from "vitest";
import { etcdListenPorts, etcdSettings, hostPort, initialCluster } from "./etcd-settings";

describe("etcdSettings", () => {
  it("recognises a member from --initial-cluster in `--k=v`, `--k v` and sh -c forms", () => {
    const eq = etcdSettings({ command: ["etcd", "--name=a", "--initial-cluster=a=http://a:2380"] });
    const spaced = etcdSettings({ command: ["etcd", "--name", "a", "--initial-cluster", "a=http://a:2380", "--client-cert-auth"] });
    const shell = etcdSettings({ entrypoints: ["sh", "-c"], command: ["exec etcd --name='a' --initial-cluster=a=http://a:2380"] });
    for (const s of [eq, spaced, shell]) {
      expect(s?.role).toBe("member");
      expect(s?.values.get("name")).toBe("a");
      expect(initialCluster(s!)).toEqual([{ name: "a", peerUrl: "http://a:2380" }]);
    }
    expect(spaced?.values.get("client-cert-auth")).toBe("");
  });

  it("recognises the proxy and ignores other containers", () => {
    expect(etcdSettings({ command: ["etcd", "gateway", "start", "--endpoints=a:2379", "--listen-addr=0.0.0.0:23790"] })?.role).toBe("proxy");
    expect(etcdSettings({ command: ["node", "agent.js", "--endpoints=http://proxy:2379"] })).toBeUndefined();
    expect(etcdSettings({})).toBeUndefined();
  });

  it("collects listen ports, including non-default ones", () => {
    const s = etcdSettings({ command: ["etcd", "--initial-cluster=a=http://a:12380", "--listen-client-urls=http://0.0.0.0:12379,http://[::]:12379", "--listen-peer-urls=http://0.0.0.0:12380"] });
    expect([...etcdListenPorts(s!)].sort()).toEqual([12379, 12380, 2379, 2380]);
  });

  it("parses host and port of URLs and addresses", () => {
    expect(hostPort("https://[::]:2379")).toEqual({ host: "::", port: 2379 });
    expect(hostPort("0.0.0.0:23790")).toEqual({ host: "0.0.0.0", port: 23790 });
    expect(hostPort("http://etcd-0")).toEqual({ host: "etcd-0", port: undefined });
  });
});
