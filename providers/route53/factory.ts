// How config and the management runtime build a Route53 provider: the settings block
// (settings.ts), static keys from the secret (else the SDK's default chain), a role through STS.
import type { ProviderFactory } from '../provider.js';
import { Route53Provider } from './provider.js';
import { ROUTE53_ENDPOINT_ENV, ROUTE53_SECRET_KEYS, ROUTE53_SECRET_SPELLINGS, route53ResourceSettings, route53Settings, STS_ENDPOINT_ENV, type Route53Settings } from './settings.js';

type SecretKey = keyof typeof ROUTE53_SECRET_SPELLINGS;

export const route53Factory: ProviderFactory<Route53Settings> = {
  type: 'route53',
  settings: route53Settings,
  resourceSettings: route53ResourceSettings,
  secretKeys: ROUTE53_SECRET_KEYS,
  create({ name, settings, secret, observe, origin = 'config', env = process.env }) {
    const read = (key: SecretKey): string | undefined => {
      for (const spelling of ROUTE53_SECRET_SPELLINGS[key]) {
        const v = secret(spelling);
        if (v !== undefined && v !== '') return v;
      }
      return undefined;
    };
    const accessKeyId = read('access-key-id');
    const secretAccessKey = read('secret-access-key');
    const sessionToken = read('session-token');
    if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
      throw new Error(`route53 provider ${name}: secret ${accessKeyId === undefined ? 'access-key-id' : 'secret-access-key'} is missing (static credentials need access-key-id and secret-access-key)`);
    }
    return new Route53Provider({
      name,
      region: settings.region,
      // A resource may not choose where its Secret's keys go: only the operator's environment.
      endpoint: origin === 'resource' ? env[ROUTE53_ENDPOINT_ENV] || undefined : settings.endpoint,
      // No ids: every zone, narrowed by the domain filters.
      zoneIds: settings.hostedZoneIds.length > 0 ? settings.hostedZoneIds : undefined,
      domainFilters: settings.domainFilters,
      zoneType: settings.zoneType,
      rateLimitPerSecond: settings.rateLimitPerSecond,
      // Without a secret: the SDK's default chain (environment, profile, the pod's role).
      credentials: accessKeyId !== undefined && secretAccessKey !== undefined ? { accessKeyId, secretAccessKey, ...(sessionToken !== undefined ? { sessionToken } : {}) } : undefined,
      // With a role: those credentials only ask STS for the role's.
      roleArn: settings.roleArn,
      stsEndpoint: env[STS_ENDPOINT_ENV] || undefined,
      observe,
    });
  },
};
