/** What transports need from the rest of the server. */

/** Answers one query; `maxSize` 0 means "UDP rules" (512 or EDNS size). Null: send nothing. */
export type QueryHandler = (msg: Buffer, maxSize: number) => Buffer | null;

export interface DnsLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export const silentLogger: DnsLogger = { info() {}, warn() {}, error() {} };
