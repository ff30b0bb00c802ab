// Public surface of the proxy's ACME module.
export { AlpnChallengeResponder, HttpChallengeResponder } from './challenges.js';
export type { AcmeChallenges, AlpnChallengeCertificate, AlpnChallenges } from './challenges.js';
export { AcmeIssuer } from './issuer.js';
export type { AcmeChallengeType, AcmeIssuerOptions } from './issuer.js';
export { FileAcmeStorage, SecretAcmeStorage, certificateSecretName, ACCOUNT_SECRET } from './storage.js';
export type { AcmeStorage, StoredCertificate } from './storage.js';
export { renewalDue, renewalDueAt } from './renewal.js';
export type { Validity } from './renewal.js';
