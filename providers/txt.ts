// TXT values in the presentation form the providers' APIs carry: one or more double-quoted
// character strings of at most 255 octets each, '"' and '\' escaped by a backslash, and \DDD
// standing for one octet. The providers differ only in how they spell it (TxtSpelling).
// globaldns keeps one text per value, so reading joins the strings again.

/** A character string holds at most 255 octets on the wire (RFC 1035 §3.3). */
const MAX_STRING_OCTETS = 255;

export interface TxtSpelling {
  /**
   * The base of DDD in \DDD: 8 for Route53, 10 for RFC 1035 master files (PowerDNS,
   * Cloudflare). The same text reads as a different octet in the other base.
   */
  escapeBase: 8 | 10;
  /**
   * 'escape': octets outside printable ASCII are written as \DDD, so that a value survives
   * any backend's text handling byte for byte; strings are cut every 255 octets.
   * 'raw': text stays UTF-8 as given, only '"' and '\' are escaped, and strings are cut
   * between characters, never inside one.
   */
  nonAscii: 'escape' | 'raw';
  /**
   * Content that is not wholly made of quoted strings is the text itself, spaces and all
   * (Cloudflare accepts plain content and serves it as one text). Otherwise unquoted strings
   * end at a blank, as in a master file.
   */
  plainText?: boolean;
}

/** 'a "b"' → '"a \"b\""'; text longer than 255 octets becomes several strings. */
export function quoteTxtStrings(text: string, spelling: TxtSpelling): string {
  const strings = spelling.nonAscii === 'raw' ? rawStrings(text) : escapedStrings(text, spelling.escapeBase);
  return strings.map((s) => `"${s}"`).join(' ');
}

function escapedStrings(text: string, base: 8 | 10): string[] {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return [''];
  const strings: string[] = [];
  for (let i = 0; i < bytes.length; i += MAX_STRING_OCTETS) {
    let s = '';
    for (const b of bytes.subarray(i, i + MAX_STRING_OCTETS)) s += escapeOctet(b, base);
    strings.push(s);
  }
  return strings;
}

function escapeOctet(b: number, base: 8 | 10): string {
  if (b === 0x22) return '\\"';
  if (b === 0x5c) return '\\\\';
  if (b < 0x20 || b > 0x7e) return '\\' + b.toString(base).padStart(3, '0');
  return String.fromCharCode(b);
}

function rawStrings(text: string): string[] {
  const strings: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of text) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > MAX_STRING_OCTETS) {
      strings.push(current);
      current = '';
      octets = 0;
    }
    current += ch === '"' || ch === '\\' ? '\\' + ch : ch;
    octets += size;
  }
  strings.push(current);
  return strings;
}

const QUOTED_ONLY = /^\s*("(?:[^"\\]|\\.)*"\s*)+$/s;
const DDD: Record<8 | 10, RegExp> = { 8: /^[0-7]{3}$/, 10: /^[0-9]{3}$/ };

/** What ends an unquoted string: a blank of a master file (RFC 1035 §5.1). */
function isBlank(c: string): boolean {
  return c === ' ' || c === '\t';
}

/**
 * The text of a TXT value: every character string decoded (\DDD in the spelling's base, \X → X,
 * raw UTF-8 kept) and the strings joined. A \DDD above 255 is no octet: its backslash only
 * escapes the first digit.
 */
export function unquoteTxtStrings(content: string, spelling: TxtSpelling): string {
  if (spelling.plainText && !QUOTED_ONLY.test(content)) return content;
  const digits = DDD[spelling.escapeBase];
  const out: number[] = [];
  const pushChar = (ch: string) => {
    for (const b of Buffer.from(ch, 'utf8')) out.push(b);
  };
  const chars = Array.from(content); // code points: a raw UTF-8 character is one step
  let i = 0;
  while (i < chars.length) {
    // Between strings any white space (Cloudflare's content may break lines there).
    if (/\s/.test(chars[i])) {
      i++;
      continue;
    }
    const quoted = chars[i] === '"';
    if (quoted) i++;
    while (i < chars.length) {
      const c = chars[i];
      if (quoted ? c === '"' : isBlank(c)) break;
      if (c === '\\' && i + 1 < chars.length) {
        const ddd = chars.slice(i + 1, i + 4).join('');
        const octet = digits.test(ddd) ? parseInt(ddd, spelling.escapeBase) : 256;
        if (octet <= 255) {
          out.push(octet);
          i += 4;
        } else {
          pushChar(chars[i + 1]);
          i += 2;
        }
        continue;
      }
      pushChar(c);
      i++;
    }
    if (quoted) i++;
  }
  return Buffer.from(out).toString('utf8');
}
