import type { ProxyConfig } from '../config/index.js';
import type { ProxyCounts } from '../observe/index.js';
import type { RouteTable } from './route-table.js';
import type { CertificateBundle } from './tls/index.js';

/** IPC between the primary (routes, certificates, ACME) and its proxy workers. */
export type ToWorker =
  | { type: 'proxy-config'; config: ProxyConfig; logLevel: string }
  | { type: 'routes'; table: RouteTable }
  | { type: 'cert'; bundle: CertificateBundle }
  | { type: 'cert-removed'; names: string[] }
  | { type: 'challenge-answer'; id: number; body: string | null }
  | { type: 'stop' };

export type FromWorker =
  /** The worker's message handler is in place (messages sent before it would be lost). */
  | { type: 'ready' }
  | { type: 'listening'; http?: { host: string; port: number }; https?: { host: string; port: number } }
  | { type: 'listen-failed'; error: string }
  | { type: 'challenge'; id: number; host: string; path: string }
  /** Requests, latency and ejections counted since the last one (every second, and at stop). */
  | { type: 'counts'; counts: ProxyCounts };

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
