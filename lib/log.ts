/**
 * Structured logging for the agents, the benchmarks and the test harness (pino, JSON lines on stderr).
 * Level from LOG_LEVEL (default "info"); `SWITCHYARD_LOG_PRETTY=1` is not provided on purpose: the JSON
 * lines are what operators grep and ship.
 */
import pino from "pino";

export type Logger = pino.Logger;

export function createLogger(name: string, level = process.env.LOG_LEVEL ?? "info"): Logger {
  return pino({ name, level, base: { name } }, pino.destination({ fd: 2, sync: true }));
}
