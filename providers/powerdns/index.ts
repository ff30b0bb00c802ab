export { PowerDnsProvider } from './provider.js';
export type { PowerDnsProviderOptions } from './provider.js';
export { PowerDnsApiError } from './client.js';
export type { PdnsErrorKind } from './client.js';
export { powerdnsFactory, powerdnsSettingsSchema, POWERDNS_SECRET_KEYS } from './factory.js';
export type { PowerDnsSettings } from './factory.js';
export { quotePdnsTxt, unquotePdnsTxt } from './wire.js';
export type { PdnsRRset, PdnsRecord } from './wire.js';
