export { LoadBalancerResolver, nodeLookupBackend } from './resolver.js';
export type { FamilyAnswer, LoadBalancerResolverOptions, LookupBackend } from './resolver.js';
