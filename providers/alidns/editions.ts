// Alibaba Cloud DNS editions and the TTL range each accepts ("TTL definition" in Alibaba Cloud's
// documentation): the API refuses a TTL below the edition's minimum (QuotaExceeded.TTL), so the
// provider refuses it first, with a message that says why, and spends no call on it.

export const ALIDNS_EDITIONS = ['free', 'personal', 'enterprise-standard', 'enterprise-ultimate'] as const;
export type AlidnsEdition = (typeof ALIDNS_EDITIONS)[number];

/** Smallest TTL in seconds per edition. */
export const ALIDNS_MIN_TTL: Readonly<Record<AlidnsEdition, number>> = {
  free: 600,
  personal: 600,
  'enterprise-standard': 60,
  'enterprise-ultimate': 1,
};

/** Largest TTL every edition accepts (one day). */
export const ALIDNS_MAX_TTL = 86_400;

/** The edition names as Alibaba Cloud spells them, for messages. */
const EDITION_LABEL: Readonly<Record<AlidnsEdition, string>> = {
  free: 'Free Edition',
  personal: 'Personal Edition',
  'enterprise-standard': 'Enterprise Standard Edition',
  'enterprise-ultimate': 'Enterprise Ultimate Edition',
};

/** undefined when the TTL fits the edition, else a sentence that names the edition and its range. */
export function ttlProblem(ttl: number, edition: AlidnsEdition): string | undefined {
  const min = ALIDNS_MIN_TTL[edition];
  if (!Number.isInteger(ttl)) return `TTL ${ttl} is not a whole number of seconds`;
  if (ttl < min) {
    return `TTL ${ttl} is below the minimum of ${min} s of the Alibaba Cloud DNS ${EDITION_LABEL[edition]} (edition: ${edition}); use a TTL of at least ${min} or set the provider's edition`;
  }
  if (ttl > ALIDNS_MAX_TTL) return `TTL ${ttl} is above the maximum of ${ALIDNS_MAX_TTL} s Alibaba Cloud DNS accepts`;
  return undefined;
}
