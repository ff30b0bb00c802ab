export { systemClock } from './clock.js';
export type { Clock, Random, TimerHandle } from './clock.js';
