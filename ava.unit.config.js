// The unit profile of `npm test`: every test file not in the serial profile
// (ava.serial.config.js), several at once, each in its own process (no worker threads).
// These files start no daemon and no globaldns server and bound no wall-clock time from
// above: their timers run on the manual clock or their waits are generous.
import { base, serialFiles } from './ava.serial.config.js';

export default { ...base, files: ['test/**/*.test.ts', ...serialFiles.map((f) => `!${f}`)], concurrency: 4 };
