// The fallback HTTP/1.x engine (node:http both ways), for a Node.js without the llhttp binding.
export { NodeH1Connections } from './client.js';
export { AgentPool } from './agent-pool.js';
export { NodeExchange } from './exchange.js';
