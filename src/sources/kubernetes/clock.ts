// The one clock of the service lives in src/kernel; re-exported here for the sources' imports.
export { systemClock } from '../../kernel/clock.js';
export type { Clock, Random, TimerHandle } from '../../kernel/clock.js';
