export { DesiredState } from './stage.js';
export type { DesiredStateOptions, EndpointSource, HostnameAddresses, NameState } from './stage.js';
export { nameHealthReport } from './health-report.js';
export type { EndpointHealthReport, HealthReportSource, NameHealthReport, VantageAgreement } from './health-report.js';
