export { AlidnsProvider, AlidnsProviderError } from './provider.js';
export type { AlidnsProviderOptions } from './provider.js';
export { AlidnsApiError, ALIDNS_API_VERSION, ALIDNS_DEFAULT_ENDPOINT } from './client.js';
export { alidnsFactory, alidnsSettings, ALIDNS_SECRET_KEYS } from './factory.js';
export type { AlidnsSettings } from './factory.js';
export { ALIDNS_EDITIONS, ALIDNS_MIN_TTL, ALIDNS_MAX_TTL } from './editions.js';
export type { AlidnsEdition } from './editions.js';
export { rpcSignature as alidnsRpcSignature, stringToSign as alidnsStringToSign, percentEncode as alidnsPercentEncode } from './signer.js';
