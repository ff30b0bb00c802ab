// The `powerdns:` settings block and how a provider is built from it. The API key is a secret
// (key 'api-key'), never a setting.

import { z } from 'zod';
import type { ProviderFactory } from '../provider.js';
import { PowerDnsProvider } from './provider.js';

export const powerdnsSettingsSchema = z
  .object({
    /** Base URL of the PowerDNS webserver. */
    url: z
      .string()
      .url()
      .refine((u) => /^https?:/i.test(u), 'must be an http:// or https:// URL')
      .default('http://127.0.0.1:8081'),
    serverId: z.string().min(1).default('localhost'),
    /** Only these zones; all the server's writable zones when absent. */
    zones: z.array(z.string().min(1)).optional(),
    domainFilters: z.array(z.string().min(1)).optional(),
    timeoutMs: z.number().int().positive().default(30_000),
    /** RRsets per PATCH. */
    batchSize: z.number().int().min(2).max(10_000).default(1000),
    /** Requests a second; unlimited when absent. */
    rateLimitPerSecond: z.number().positive().optional(),
  })
  .strict();

export type PowerDnsSettings = z.infer<typeof powerdnsSettingsSchema>;

export const POWERDNS_SECRET_KEYS = ['api-key'] as const;

export const powerdnsFactory: ProviderFactory<PowerDnsSettings> = {
  type: 'powerdns',
  settings: powerdnsSettingsSchema,
  secretKeys: POWERDNS_SECRET_KEYS,
  create({ name, settings, secret, observe }) {
    const apiKey = secret('api-key');
    if (apiKey === undefined || apiKey.trim() === '') throw new Error(`powerdns provider ${name}: secret 'api-key' is missing (the PowerDNS API key)`);
    return new PowerDnsProvider({ ...settings, apiKey: apiKey.trim(), name, observe });
  },
};
