// The health check the tests of src/health and of its consumers start from: an http GET of
// /healthz every second, failureThreshold 3, successThreshold 2; each test overrides what it is about.
import type { HealthCheck } from '../../src/model/index.js';

export function httpCheck(o: Partial<HealthCheck> = {}): HealthCheck {
  return {
    type: 'http',
    port: 80,
    path: '/healthz',
    expectStatus: [[200, 399]],
    intervalMs: 1000,
    timeoutMs: 500,
    failureThreshold: 3,
    successThreshold: 2,
    verifyCertificate: false,
    ...o,
  };
}
