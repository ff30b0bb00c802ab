// What a certificate is to the proxy: PEM text plus the names it serves and when it ends.
// Parsing and checks live here so every source (files, Secrets, ACME) validates the same way.
import { X509Certificate, createPrivateKey } from 'node:crypto';

/** PEM bundle as it crosses IPC to workers. `certPem` is the leaf first, then its chain. */
export interface CertificateBundle {
  /** lower-case DNS names the certificate serves (its SANs; `*.example.org` for wildcards) */
  names: string[];
  certPem: string;
  keyPem: string;
  /** ISO 8601 */
  notAfter: string;
}

export interface CertificateFacts {
  names: string[];
  notBefore: Date;
  notAfter: Date;
  /** hex, upper case, as openssl prints it */
  serial: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** The certificates of a PEM chain, leaf first. */
export function splitPemChain(pem: string): string[] {
  return pem.match(PEM_CERT) ?? [];
}

export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** Names, validity and serial of the leaf certificate of `certPem`. */
export function readCertificate(certPem: string): CertificateFacts {
  const [leaf] = splitPemChain(certPem);
  if (!leaf) throw new Error('no PEM certificate found');
  const x509 = new X509Certificate(leaf);
  const names = (x509.subjectAltName ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('DNS:'))
    .map((s) => normaliseName(s.slice(4)));
  if (names.length === 0) {
    // Certificates without SANs are not trusted by browsers, but a CN still names the host.
    const cn = /(?:^|\n)CN=([^\n]+)/.exec(x509.subject)?.[1];
    if (cn) names.push(normaliseName(cn));
  }
  return {
    names: [...new Set(names)],
    notBefore: new Date(x509.validFrom),
    notAfter: new Date(x509.validTo),
    serial: x509.serialNumber.toUpperCase(),
  };
}

/**
 * A bundle from PEM text, after checking that the key belongs to the certificate. `source`
 * names where the PEM came from, for the error (the PEM itself is never put in a message).
 */
export function bundleFromPem(certPem: string, keyPem: string, source: string): CertificateBundle {
  let facts: CertificateFacts;
  try {
    facts = readCertificate(certPem);
  } catch (err) {
    throw new Error(`${source}: certificate: ${(err as Error).message}`);
  }
  let matches: boolean;
  try {
    const [leaf] = splitPemChain(certPem);
    matches = new X509Certificate(leaf).checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new Error(`${source}: private key: ${(err as Error).message}`);
  }
  if (!matches) throw new Error(`${source}: the private key does not belong to the certificate`);
  if (facts.names.length === 0) throw new Error(`${source}: the certificate names no DNS name`);
  return { names: facts.names, certPem, keyPem, notAfter: facts.notAfter.toISOString() };
}

/** Whether a certificate name (`a.example.org` or `*.example.org`) covers `host`. */
export function nameCovers(certName: string, host: string): boolean {
  const h = normaliseName(host);
  if (certName === h) return true;
  if (!certName.startsWith('*.')) return false;
  // A wildcard stands for exactly one left-most label (RFC 6125 6.4.3).
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === certName.slice(2);
}

/** Whether the bundle's certificate is valid for `host` (the 421 check: Host vs SNI cert). */
export function bundleCovers(bundle: CertificateBundle, host: string): boolean {
  return bundle.names.some((n) => nameCovers(n, host));
}
