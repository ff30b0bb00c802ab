export { H1Connections, answer, endWith } from './client-connection.js';
export type { H1Options, UpgradeRequest } from './client-connection.js';
export { ConnectionPool } from './pool.js';
export type { PoolOptions } from './pool.js';
export { Deadlines, sweepInterval } from './deadlines.js';
export * from './contract.js';
export { parserAvailability, checkParserModule } from './http-parser.js';
export type { ParserAvailability } from './http-parser.js';
