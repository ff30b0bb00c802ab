// Record values in presentation form ('10 mail.example.org'), as the model keeps them, to and
// from the form of a provider that also holds one presentation string per record (Route53,
// PowerDNS): the types differ only in how TXT and host names are spelt, which the provider
// says with a ValueSpelling.

import type { RRType } from '../src/model/index.js';

export interface ValueSpelling {
  /** A TXT value: its text to the provider's quoting, or back. */
  txt(value: string): string;
  /** A host name (CNAME/NS/PTR value, MX exchange, SRV target) to the provider's form, or back. */
  host(name: string): string;
}

/** `value` of a record of `type` respelt: TXT and host names by `spelling`, other types as they are. */
export function respellValue(type: RRType, value: string, spelling: ValueSpelling): string {
  switch (type) {
    case 'TXT':
      return spelling.txt(value);
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return spelling.host(value);
    case 'MX':
    case 'SRV':
      return mapLastField(value, spelling.host);
    default:
      return value;
  }
}

/** 'mail.example.org' → 'mail.example.org.': absolute, as master files and most APIs spell names. */
export function withTrailingDot(name: string): string {
  return name.endsWith('.') ? name : `${name}.`;
}

/** Replaces the last space-separated field (the host name of MX and SRV) using `f`. */
function mapLastField(value: string, f: (host: string) => string): string {
  const i = value.trimEnd().lastIndexOf(' ');
  return i === -1 ? f(value) : value.slice(0, i + 1) + f(value.slice(i + 1));
}
