// The `route53:` settings block (zod), its secret keys and the environment overrides: what the
// YAML config, GlobalDNSProvider resources and `globaldns validate` check a Route53 provider
// with. No AWS SDK here, so the service can name these without loading it.
import { z } from 'zod';
import { isValidHostname, normalizeName } from '../../src/model/index.js';

/**
 * Where providers defined by GlobalDNSProvider resources send their Route53 (and STS)
 * requests instead of AWS: the simulator in tests, LocalStack. Set by the operator in the
 * environment, never by the resource: whoever may create a provider must not be able to point
 * the credentials of its Secret at a server of their choosing. STS's also serves the YAML
 * config's providers with a `roleArn`.
 */
export const ROUTE53_ENDPOINT_ENV = 'GLOBALDNS_ROUTE53_ENDPOINT';
export const STS_ENDPOINT_ENV = 'GLOBALDNS_STS_ENDPOINT';

/** The patterns of the settings (also in the CRD's openAPI schema, which a test compares). */
export const ROUTE53_PATTERNS = {
  /** `us-east-1`, `eu-west-1`, `us-gov-west-1`, `cn-north-1`. */
  region: /^[a-z]{2}(-[a-z]+)+-\d+$/,
  /** What Route53 gives: `Z` and upper-case letters and digits, at most 32, maybe as `/hostedzone/Z…`. */
  hostedZoneId: /^(\/?hostedzone\/)?Z[A-Z0-9]{1,31}$/,
  roleArn: /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
} as const;

export const route53Settings = z
  .object({
    /** Only picks the signing endpoint (Route53 is global); STS is asked in this region too. */
    region: z.string().regex(ROUTE53_PATTERNS.region, 'not an AWS region (like eu-west-1)').default('us-east-1'),
    /** Only public or only private hosted zones; both when absent. */
    zoneType: z.enum(['public', 'private'], { errorMap: () => ({ message: 'must be public or private' }) }).optional(),
    /** Only these hosted zones, kept without the `/hostedzone/` prefix; every zone (narrowed by domainFilters) when empty. */
    hostedZoneIds: z
      .array(
        z
          .string()
          .regex(ROUTE53_PATTERNS.hostedZoneId, 'not a Route53 hosted zone id (like Z0123456789ABCDEFGHIJ)')
          .transform((s) => s.replace(/^\/?hostedzone\//, '')),
      )
      .default([]),
    /** Only zones at, below or above these domains (lower case, no trailing dot). */
    domainFilters: z
      .array(
        z
          .string()
          .refine((s) => isValidHostname(s, { allowWildcard: false }), { message: 'not a valid domain name' })
          .transform(normalizeName),
      )
      .default([]),
    /** An AWS-compatible endpoint instead of AWS's own (LocalStack, the simulator). Not in resources. */
    endpoint: z.string().url('not a URL (like http://localhost:4566)').optional(),
    /** Requests a second for the account (Route53's own limit is 5). */
    rateLimitPerSecond: z.number().positive().max(1000).default(5),
    /** Assume this role (STS AssumeRole) with the Secret's keys or the default chain's. */
    roleArn: z.string().regex(ROUTE53_PATTERNS.roleArn, 'not an IAM role ARN (like arn:aws:iam::123456789012:role/globaldns)').optional(),
  })
  .strict();

export type Route53Settings = z.infer<typeof route53Settings>;

/** The same block in a GlobalDNSProvider: `endpoint` is the operator's (ROUTE53_ENDPOINT_ENV). */
export const route53ResourceSettings = route53Settings.extend({
  endpoint: z
    .undefined({ errorMap: () => ({ message: `not allowed in a resource (it would send the Secret's keys elsewhere); the operator sets ${ROUTE53_ENDPOINT_ENV}` }) })
    .optional(),
});

/**
 * The secret keys read, each with the spellings accepted: ours first, then the older ones of
 * GlobalDNSProvider Secrets (`accessKeyId`), the AWS environment's and Rancher's. Without
 * them the SDK's default chain (environment, shared config, web identity, the pod's role).
 */
export const ROUTE53_SECRET_SPELLINGS = {
  'access-key-id': ['access-key-id', 'accessKeyId', 'AWS_ACCESS_KEY_ID', 'accessKey'],
  'secret-access-key': ['secret-access-key', 'secretAccessKey', 'AWS_SECRET_ACCESS_KEY', 'secretKey'],
  'session-token': ['session-token', 'sessionToken', 'AWS_SESSION_TOKEN'],
} as const satisfies Record<string, readonly string[]>;

export const ROUTE53_SECRET_KEYS = Object.keys(ROUTE53_SECRET_SPELLINGS) as (keyof typeof ROUTE53_SECRET_SPELLINGS)[];
