import type { ProxyConfig } from '../config/index.js';
import type { ProxyCounts } from '../observe/index.js';
import type { HostRoute, RouteTable } from './route-table.js';
import type { AlpnChallengeCertificate, CertificateBundle } from './tls/index.js';

/** IPC between the primary (routes, certificates, ACME) and its proxy workers. */
export type ToWorker =
  /** `alpnChallenges`: ACME validates with TLS-ALPN-01, so the HTTPS listener peeks at ClientHellos. */
  | { type: 'proxy-config'; config: ProxyConfig; logLevel: string; alpnChallenges?: boolean }
  | { type: 'routes'; table: RouteTable }
  /** A few hosts changed (set: their new routes; removed: hosts without a route now). */
  | { type: 'routes-patch'; set: HostRoute[]; removed: string[] }
  | { type: 'cert'; bundle: CertificateBundle }
  | { type: 'cert-removed'; names: string[] }
  | { type: 'challenge-answer'; id: number; body: string | null }
  | { type: 'alpn-challenge-answer'; id: number; certificate: AlpnChallengeCertificate | null }
  | { type: 'stop' };

export type FromWorker =
  /** The worker's message handler is in place (messages sent before it would be lost). */
  | { type: 'ready' }
  | { type: 'listening'; http?: { host: string; port: number }; https?: { host: string; port: number } }
  | { type: 'listen-failed'; error: string }
  | { type: 'challenge'; id: number; host: string; path: string }
  | { type: 'alpn-challenge'; id: number; servername: string }
  /** Requests, latency and ejections counted since the last one (every second, and at stop). */
  | { type: 'counts'; counts: ProxyCounts };

export function isMessage<T extends { type: string }>(m: unknown): m is T {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}
