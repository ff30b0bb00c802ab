import { ConnectionPool, H1Connections, parserAvailability } from './h1/index.js';
import type { ClientConnections, Deadlines, H1Options, ParserAvailability, PoolOptions, UpstreamPool } from './h1/index.js';
import { AgentPool, NodeH1Connections } from './node-h1/index.js';

/**
 * Which HTTP/1.x engine serves clients and talks to upstreams. `llhttp` (./h1) runs on
 * Node's internal `_http_common` parser binding, about twice node:http's rate here
 * (h1/README.md); `node` (./node-h1) on node:http's public API, for a Node.js whose binding
 * is gone or changed shape (it is deprecated as DEP0199 in Node 24). HTTP/2 and upgrades are
 * the same with either.
 */
export type EngineSetting = 'auto' | 'llhttp' | 'node';
export type Engine = 'llhttp' | 'node';

export interface EngineDecision {
  engine: Engine;
  /** For the log line: why this engine runs. */
  why: string;
  /** `auto` had to fall back (the log line is a warning then). */
  fallback: boolean;
}

/**
 * Picks the engine: `auto` is llhttp when the binding is there in the expected shape, else
 * node. An explicit `llhttp` the runtime cannot give is an error at start, not a silent switch.
 */
export function chooseEngine(setting: EngineSetting, availability: ParserAvailability = parserAvailability()): EngineDecision {
  if (setting === 'node') return { engine: 'node', why: 'proxy.engine: node', fallback: false };
  if (availability.ok) return { engine: 'llhttp', why: setting === 'llhttp' ? 'proxy.engine: llhttp' : `proxy.engine: auto, and Node ${process.version} has the llhttp binding (_http_common)`, fallback: false };
  if (setting === 'llhttp') {
    throw new Error(`proxy.engine: llhttp, but Node ${process.version} lacks the llhttp binding it needs (${availability.reason}); set proxy.engine to auto or node`);
  }
  return { engine: 'node', why: `proxy.engine: auto, and Node ${process.version} lacks the llhttp binding (${availability.reason}); node:http serves HTTP/1 at a lower rate`, fallback: true };
}

/** The one line that says which engine runs and why. */
export function engineMessage(d: EngineDecision): string {
  return `proxy: HTTP/1 engine ${d.engine} (${d.why})`;
}

export function clientConnections(engine: Engine, o: H1Options): ClientConnections {
  return engine === 'node' ? new NodeH1Connections(o) : new H1Connections(o);
}

export function upstreamPool(engine: Engine, o: PoolOptions, deadlines: Deadlines): UpstreamPool {
  return engine === 'node' ? new AgentPool(o, deadlines) : new ConnectionPool(o, deadlines);
}
