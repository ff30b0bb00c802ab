// When a certificate is due for renewal. Pure, so the schedule is testable with a clock.
const DAY_MS = 86_400_000;

export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

/**
 * The instant renewal becomes due: `renewBeforeDays` before expiry, or, for certificates whose
 * whole lifetime is not more than twice that (short-lived certificates, test CAs), when one
 * third of the lifetime remains: otherwise a 7-day certificate would be renewed on every check.
 */
export function renewalDueAt(cert: Validity, renewBeforeDays: number): Date {
  const lifetime = cert.notAfter.getTime() - cert.notBefore.getTime();
  const window = lifetime > 2 * renewBeforeDays * DAY_MS ? renewBeforeDays * DAY_MS : lifetime / 3;
  return new Date(cert.notAfter.getTime() - window);
}

export function renewalDue(cert: Validity, now: Date, renewBeforeDays: number): boolean {
  return now.getTime() >= renewalDueAt(cert, renewBeforeDays).getTime();
}
