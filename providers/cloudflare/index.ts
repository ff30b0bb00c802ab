// Public surface of the Cloudflare provider.
export { CloudflareProvider } from './provider.js';
export type { CloudflareProviderOptions } from './provider.js';
export { CloudflareApiError, DEFAULT_BASE_URL as CLOUDFLARE_DEFAULT_BASE_URL } from './api.js';
export type { CloudflareCredentials } from './api.js';
export { cloudflareFactory, cloudflareSettings, CLOUDFLARE_SECRET_KEYS } from './factory.js';
export type { CloudflareSettings } from './factory.js';
export { AUTO_TTL_SECONDS as CLOUDFLARE_AUTO_TTL_SECONDS } from './wire.js';
export type { CloudflareRecord } from './wire.js';
export { quoteCloudflareTxt, unquoteCloudflareTxt } from './wire.js';
