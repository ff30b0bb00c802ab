// Public surface of src/health: probes, verdicts (hysteresis), the checker (schedule), the quorum over vantages and its exchange of reports.
export { probe, formatDuration, MAX_HEADER_BYTES, MAX_BODY_BYTES } from './probe.js';
export type { ProbeType, ProbeSpec, ProbeResult, ProbeOptions, Prober } from './probe.js';
export { initialVerdict, nextVerdict } from './verdict.js';
export type { ProbeOutcome, Thresholds, Verdict } from './verdict.js';
export { HealthChecker, probeTarget } from './checker.js';
export type { HealthCheckerOptions, HealthVerdicts, ProbeTarget } from './checker.js';
export { combine, isCutOff, isFresh, nextExpiry, FRESH_INTERVALS } from './quorum.js';
export type { QuorumVerdict, Vantage } from './quorum.js';
export { QuorumVerdicts } from './quorum-verdicts.js';
export type { LocalVantage, QuorumVerdictsOptions } from './quorum-verdicts.js';
export { encodeReport, hashKey, parseReport, reportName, MAX_REPORT_VERDICTS, REPORT_KEY, VANTAGE_LABEL } from './report.js';
export type { VantageReport } from './report.js';
export { VantageExchange } from './exchange.js';
export type { VantageExchangeOptions } from './exchange.js';
export { ClientNodeReportStore } from './kube-store.js';
export type { ReportKind, ReportStore } from './kube-store.js';
export { ProbeThread } from './thread.js';
export type { ProbeThreadOptions } from './thread.js';
