// The `rfc2136:` settings block and the factory config and the management runtime build the
// provider with. The TSIG secret is never a setting: it comes from the secret `tsig-secret`.
import { z } from 'zod';
import type { ProviderFactory } from '../provider.js';
import { Rfc2136Provider } from './provider.js';
import { parseServer } from './transport.js';
import { TSIG_ALGORITHMS } from './tsig.js';

export const rfc2136Settings = z
  .object({
    /** zone names the provider writes */
    zones: z.array(z.string().min(1)).min(1),
    /** primary first: '127.0.0.1:5300', 'ns2.example.org' (port 53) */
    servers: z
      .array(z.string().min(1))
      .min(1)
      .superRefine((servers, ctx) => {
        for (const [i, s] of servers.entries()) {
          try {
            parseServer(s);
          } catch (e) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, path: [i], message: (e as Error).message });
          }
        }
      }),
    tsigKeyName: z.string().min(1).optional(),
    tsigAlgorithm: z.enum(TSIG_ALGORITHMS).default('hmac-sha256'),
    timeoutMs: z.number().int().positive().default(5000),
    /** false: never try AXFR; the zones are written upsert-only from the start */
    transfer: z.boolean().default(true),
    domainFilters: z.array(z.string().min(1)).optional(),
  })
  .strict();

export type Rfc2136Settings = z.infer<typeof rfc2136Settings>;

export const RFC2136_SECRET_KEYS = ['tsig-secret'] as const;

export const rfc2136Factory: ProviderFactory<Rfc2136Settings> = {
  type: 'rfc2136',
  settings: rfc2136Settings,
  secretKeys: RFC2136_SECRET_KEYS,
  create({ name, settings, secret, observe }) {
    const tsigSecret = secret('tsig-secret');
    if (settings.tsigKeyName !== undefined && tsigSecret === undefined) {
      throw new Error(`rfc2136 ${name}: tsigKeyName ${settings.tsigKeyName} is set but the secret tsig-secret is missing`);
    }
    if (settings.tsigKeyName === undefined && tsigSecret !== undefined) {
      throw new Error(`rfc2136 ${name}: the secret tsig-secret is given but tsigKeyName is not set`);
    }
    return new Rfc2136Provider({
      name,
      zones: settings.zones,
      servers: settings.servers,
      domainFilters: settings.domainFilters,
      tsig: settings.tsigKeyName !== undefined && tsigSecret !== undefined ? { name: settings.tsigKeyName, algorithm: settings.tsigAlgorithm, secret: tsigSecret } : undefined,
      timeoutMs: settings.timeoutMs,
      transfer: settings.transfer,
      observe,
    });
  },
};
