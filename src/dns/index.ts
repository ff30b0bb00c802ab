export { DnsServer, type DnsServerOptions, type ListenAddress } from './server.js';
export { ZoneStore, type ZoneStoreOptions, type ZoneChangeListener } from './zone-store.js';
export { ZoneSnapshot, LookupKind, type LookupResult, type NameChanges, type ZoneSettings } from './zone.js';
export { Responder, TCP_MAX } from './responder.js';
export { parseQuery, TYPE, RCODE } from './wire.js';
export { QueryStats, COUNTED_TYPES, RCODE_NAMES, SAMPLE_EVERY, type CountedType } from './stats.js';
