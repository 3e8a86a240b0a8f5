import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { holdsSocket, listeningInodes, waitStoppedListening } from "./retire";

describe("reload retirement checks", () => {
  it("parses listening sockets of a port from a /proc/net/tcp table", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sy-retire-"));
    const file = path.join(dir, "tcp");
    try {
      fs.writeFileSync(file, [
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
        "   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 11111 1 0000000000000000 100 0 0 10 0",
        "   1: 0100007F:1F40 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 22222 1 0000000000000000 20 4 30 10 -1",
        "   2: 0100007F:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 33333 1 0000000000000000 100 0 0 10 0",
      ].join("\n"));
      expect([...listeningInodes(8000, [file])]).toEqual(["11111"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(fs.existsSync("/proc/net/tcp"))("sees this process listening, and stop listening once the server closes", async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
        const port = (server.address() as net.AddressInfo).port;
        expect(holdsSocket(process.pid, listeningInodes(port))).toBe(true);
        expect(await waitStoppedListening([process.pid], port, 50)).toBe(false);
        await new Promise((r) => server.close(r));
        expect(await waitStoppedListening([process.pid], port, 1000)).toBe(true);
    } finally {
      if (server.listening) server.close();
    }
  });
});
