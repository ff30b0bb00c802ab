// How config and the management runtime build an Alidns provider: the settings block (zod)
// and the two secret keys of an AccessKey pair.
import { z } from 'zod';
import type { ProviderFactory } from '../provider.js';
import { ALIDNS_DEFAULT_ENDPOINT } from './client.js';
import { ALIDNS_EDITIONS } from './editions.js';
import { AlidnsProvider } from './provider.js';

export const alidnsSettings = z
  .object({
    /** Domain names to write; all of the account's when absent. */
    zones: z.array(z.string().min(1)).optional(),
    domainFilters: z.array(z.string().min(1)).optional(),
    endpoint: z.string().url().default(ALIDNS_DEFAULT_ENDPOINT),
    regionId: z.string().min(1).optional(),
    edition: z.enum(ALIDNS_EDITIONS).default('free'),
    rateLimitPerSecond: z.number().positive().default(60),
  })
  .strict();

export type AlidnsSettings = z.infer<typeof alidnsSettings>;

export const ALIDNS_SECRET_KEYS = ['access-key-id', 'access-key-secret'] as const;

export const alidnsFactory: ProviderFactory<AlidnsSettings> = {
  type: 'alidns',
  settings: alidnsSettings,
  secretKeys: ALIDNS_SECRET_KEYS,
  create({ name, settings, secret, observe }) {
    const [idKey, secretKey] = ALIDNS_SECRET_KEYS;
    const accessKeyId = secret(idKey);
    const accessKeySecret = secret(secretKey);
    if (!accessKeyId) throw new Error(`alidns provider ${name}: secret ${idKey} is missing`);
    if (!accessKeySecret) throw new Error(`alidns provider ${name}: secret ${secretKey} is missing`);
    return new AlidnsProvider({ ...settings, name, accessKeyId, accessKeySecret, observe });
  },
};
