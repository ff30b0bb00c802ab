export { ConfigError } from './errors.js';
export { loadConfig, parseConfig } from './parse.js';
export type { ParseOptions } from './parse.js';
export { parseListenAddress } from './listen.js';
export type { ListenAddress } from './listen.js';
export { parseRecordLine, groupRecordLines, DEFAULT_RECORD_TTL } from './records.js';
export type { RecordLine } from './records.js';
export type { Config, ClusterConfig, DnsConfig, LogLevel, ProviderConfig, SoaSettings, ZoneConfig } from './types.js';
