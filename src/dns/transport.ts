/** What transports need from the rest of the server. */

/** Answers one query; `maxSize` 0 means "UDP rules" (512 or EDNS size). Null: send nothing. */
export type QueryHandler = (msg: Buffer, maxSize: number) => Buffer | null;
