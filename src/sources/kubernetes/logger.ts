/** The pino methods the Kubernetes source uses; tests pass a recorder. */
export interface SourceLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: SourceLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};
