/**
 * The service's one logger type (src/kernel): structured fields first, then the message, the
 * way pino takes them. src/observe's pino logger satisfies it; tests pass recorders.
 */
export interface Logger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  /** A logger that adds `bindings` to every line (pino's `child`). Optional: see `childLogger`. */
  child?(bindings: Record<string, unknown>): Logger;
}

/** Logs nothing: the default where a logger is optional. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/** `log.child(bindings)` where the logger has children; otherwise `log` itself. */
export function childLogger(log: Logger, bindings: Record<string, unknown>): Logger {
  return log.child ? log.child(bindings) : log;
}
