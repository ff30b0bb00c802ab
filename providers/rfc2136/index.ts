export { Rfc2136Provider } from './provider.js';
export type { Rfc2136ProviderOptions } from './provider.js';
export { Rfc2136Error } from './client.js';
export { rfc2136Factory, rfc2136Settings, RFC2136_SECRET_KEYS } from './factory.js';
export type { Rfc2136Settings } from './factory.js';
export { TSIG_ALGORITHMS, signMessage as tsigSignMessage, TsigReplyVerifier, TsigError, parseTsigSecret } from './tsig.js';
export type { TsigAlgorithm, TsigKey } from './tsig.js';
