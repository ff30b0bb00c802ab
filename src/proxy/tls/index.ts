// Public surface of the proxy's TLS module: certificates chosen by SNI and their sources.
export { CertificateStore } from './store.js';
export type { CertificateChange } from './store.js';
export { bundleFromPem, bundleCovers, nameCovers, readCertificate, splitPemChain } from './bundle.js';
export type { CertificateBundle, CertificateFacts } from './bundle.js';
export { redirectTarget, hostWithoutPort, ACME_CHALLENGE_PREFIX } from './redirect.js';
export type { RedirectRequest } from './redirect.js';
export { TlsManager } from './manager.js';
export type { AcmeSettings, CertificateSourceKind, CertificateStatus, EntryTls, RenewalResult, TlsManagerOptions, WantedCertificate } from './manager.js';
export { loadCertificateFiles } from './files.js';
export { parseSecretRef } from './secrets.js';
export type { AcmeChallenges, AlpnChallengeCertificate, AlpnChallenges } from '../acme/index.js';
