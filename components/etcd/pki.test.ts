import { describe, expect, it } from "vitest";
import { certSubjectAltNames, memberSans } from "./pki";

describe("member certificate SANs", () => {
  it("name every address a client may dial: the member, the proxy (L4), the operator's loopback", () => {
    const sans = memberSans({ container: "sy-dev-etcd-0", proxyContainer: "sy-dev-etcd-proxy", dialHost: "sy-dev-etcd-0" });
    expect(certSubjectAltNames(sans)).toEqual({ dnsNames: ["sy-dev-etcd-0", "sy-dev-etcd-proxy", "localhost"], ipAddresses: ["127.0.0.1"] });
  });
  it("on aws the dial host is an address: it goes to the IP SANs", () => {
    const sans = memberSans({ container: "sy-etcd-1", proxyContainer: "sy-etcd-proxy", dialHost: "10.0.1.12" });
    expect(certSubjectAltNames(sans).ipAddresses).toEqual(["10.0.1.12", "127.0.0.1"]);
  });
});
