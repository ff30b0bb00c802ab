// Public surface of the health probes (the scheduler and verdicts merge in here too).
export { probe, formatDuration, MAX_HEADER_BYTES, MAX_BODY_BYTES } from './probe.js';
export type { ProbeType, ProbeSpec, ProbeResult, ProbeOptions, Prober } from './probe.js';
