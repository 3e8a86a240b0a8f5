import { describe, expect, it } from "vitest";
import { extensionLines } from "./tls";

describe("the harness's @pulumi/tls emulation", () => {
  it("maps allowedUses to x509 extensions and refuses the ones it does not know", () => {
    expect(extensionLines(["cert_signing", "digital_signature"], true)).toEqual(["basicConstraints=critical,CA:TRUE", "keyUsage=critical,keyCertSign,digitalSignature"]);
    expect(extensionLines(["digital_signature", "server_auth", "client_auth"], false)).toEqual(["basicConstraints=critical,CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=serverAuth,clientAuth"]);
    expect(() => extensionLines(["code_signing"], false)).toThrow(/does not emulate tls allowedUses code_signing/);
  });
});
