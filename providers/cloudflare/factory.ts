// The `cloudflare:` settings block (zod) and the factory config and the management runtime
// build providers with. Credentials never sit in settings: `api-token`, or `api-key` + `email`.

import { z } from 'zod';
import type { ProviderFactory } from '../provider.js';
import { DEFAULT_BASE_URL, DEFAULT_RATE_PER_SECOND, type CloudflareCredentials } from './api.js';
import { CloudflareProvider } from './provider.js';

const name = z.string().min(1).max(253);

export const cloudflareSettings = z
  .object({
    /** Zones by name; with neither `zones` nor `zoneIds` every zone the credentials can list. */
    zones: z.array(name).optional(),
    zoneIds: z.array(z.string().regex(/^[0-9a-f]{32}$/, 'a Cloudflare zone id is 32 hex digits')).optional(),
    domainFilters: z.array(name).default([]),
    /** Proxy A/AAAA/CNAME records through Cloudflare (orange cloud). TXT is never proxied. An entry's own `proxied` wins over this and the lists. */
    proxied: z.boolean().default(false),
    /** Names proxied whatever `proxied` says; '*.example.org' matches every name below. */
    proxiedNames: z.array(name).default([]),
    /** Names never proxied whatever `proxied` says. */
    unproxiedNames: z.array(name).default([]),
    baseUrl: z.string().url().default(DEFAULT_BASE_URL),
    /** Requests a second for the Cloudflare user (default 4: 1,200 per 5 minutes). */
    rateLimitPerSecond: z.number().positive().default(DEFAULT_RATE_PER_SECOND),
    /** DNS records per list page (the API allows up to 5,000,000). */
    perPage: z.number().int().min(5).max(5_000_000).default(5000),
    /** Operations per batch request: 200 on the Free plan, 3,500 on paid plans. */
    batchSize: z.number().int().min(1).max(3500).default(200),
  })
  .strict();

export type CloudflareSettings = z.infer<typeof cloudflareSettings>;

export const CLOUDFLARE_SECRET_KEYS = ['api-token', 'api-key', 'email'] as const;

export const cloudflareFactory: ProviderFactory<CloudflareSettings> = {
  type: 'cloudflare',
  settings: cloudflareSettings,
  secretKeys: CLOUDFLARE_SECRET_KEYS,
  create({ name, settings, secret, observe }) {
    const token = secret('api-token');
    const apiKey = secret('api-key');
    const email = secret('email');
    let credentials: CloudflareCredentials;
    if (token) credentials = { apiToken: token };
    else if (apiKey && email) credentials = { apiKey, email };
    else if (apiKey || email) throw new Error(`cloudflare provider ${name}: secret ${apiKey ? 'email' : 'api-key'} missing (a global API key needs both api-key and email)`);
    else throw new Error(`cloudflare provider ${name}: no credentials: give secret api-token, or api-key and email`);
    return new CloudflareProvider({ ...settings, name, credentials, observe });
  },
};
