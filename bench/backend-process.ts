/**
 * A minimal HTTP backend as a separate Node process (so it does not share the bench's event loop): answers
 * every request with its name, keeps connections alive. For benchmarks and the tests that share their rigs.
 */
import { startProcess, type Proc } from "../test/helpers/processes";

const BACKEND_JS = `
const http = require("http");
const [port, name] = [Number(process.argv[1]), process.argv[2]];
const s = http.createServer((req, res) => { res.setHeader("Content-Type", "text/plain"); res.end(name + "\\n"); });
s.keepAliveTimeout = 120000;
s.listen(port, "127.0.0.1");
`;

export function startBackendProcess(port: number, name: string, logFile: string): Proc {
  return startProcess("node", ["-e", BACKEND_JS, String(port), name], logFile);
}
