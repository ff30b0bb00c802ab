export { monotonicNow, sleep, systemClock } from './clock.js';
export type { Clock, Random, TimerHandle, TimerOptions } from './clock.js';
export { Backoff, backoffDelay } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { childLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { every } from './every.js';
