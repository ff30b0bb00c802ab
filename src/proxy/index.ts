// Public surface of the proxy: the route table, the per-process proxy, and starting it (with workers and certificates).
export { buildRouteTable, pathMatches, upstreamsOfTable } from './route-table.js';
export type { ClusterRoute, HostRoute, RouteTable, RouteTableOptions, UpstreamRef } from './route-table.js';
export { Router, pickUpstream, hostName } from './router.js';
export type { CompiledHost, Balancing } from './router.js';
export { ProxyProcess } from './process.js';
export type { ProxyProcessOptions } from './process.js';
export { upstreamRequestHeaders, clientResponseHeaders, clientFacts } from './headers.js';
export { startProxy } from './start.js';
export type { ProxySources, RunningProxy, StartProxyOptions } from './start.js';
export { startProxyService } from './service.js';
export type { ProxyService, ProxyServiceOptions } from './service.js';
export { chooseEngine, engineMessage } from './engine.js';
export type { Engine, EngineDecision, EngineSetting } from './engine.js';
