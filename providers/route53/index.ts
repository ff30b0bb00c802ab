export { Route53Provider, Route53ProviderError } from './provider.js';
export type { Route53ProviderOptions } from './provider.js';
export type { Route53AliasTarget, Route53RecordSet } from './wire.js';
export { ROUTE53_LIMITS } from './batches.js';
export type { BatchLimits } from './batches.js';
export { ALB_CLB_ZONE_IDS, NLB_ZONE_IDS, parseElbHostname } from './alias.js';
export { quoteTxt, unquoteTxt } from './wire.js';
