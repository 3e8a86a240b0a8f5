/**
 * A minimal HTTP backend as a separate Node process (so it does not share the bench's event loop): answers
 * every request with its name, keeps connections alive. For benchmarks and the tests that share their rigs.
 */
import { startProcess, type Proc } from "../test/helpers/processes";

const BACKEND_JS = `
const http = require("http");
const [port, name, host] = [Number(process.argv[1]), process.argv[2], process.argv[3]];
const s = http.createServer((req, res) => { res.setHeader("Content-Type", "text/plain"); res.end(name + "\\n"); });
s.keepAliveTimeout = 120000;
s.listen(port, host);
`;

/**
 * `host` 0.0.0.0 lets one process answer on every loopback address 127.x.y.z (Linux routes all of 127/8 to
 * lo): the scale benchmark gives each of its thousands of endpoints an address of its own that way.
 */
export function startBackendProcess(port: number, name: string, logFile: string, host = "127.0.0.1"): Proc {
  return startProcess("node", ["-e", BACKEND_JS, String(port), name, host], logFile);
}
