// TXT values on Route53's wire: one or more double-quoted character strings of at most 255
// octets each, with '"' and '\' escaped by a backslash and any other octet as \DDD (octal).

const MAX_STRING_OCTETS = 255;

function escapeOctet(b: number): string {
  if (b === 0x22) return '\\"';
  if (b === 0x5c) return '\\\\';
  if (b < 0x20 || b > 0x7e) return '\\' + b.toString(8).padStart(3, '0');
  return String.fromCharCode(b);
}

/** 'a "b"' → '"a \"b\""'; text longer than 255 octets becomes several strings. */
export function quoteTxt(text: string): string {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length === 0) return '""';
  const strings: string[] = [];
  for (let i = 0; i < bytes.length; i += MAX_STRING_OCTETS) {
    let s = '"';
    for (const b of bytes.subarray(i, i + MAX_STRING_OCTETS)) s += escapeOctet(b);
    strings.push(s + '"');
  }
  return strings.join(' ');
}

/**
 * The text of a wire TXT value: its character strings decoded and joined, since globaldns
 * keeps one string per value (a value split at 255 octets is one text).
 */
export function unquoteTxt(value: string): string {
  const out: number[] = [];
  let i = 0;
  while (i < value.length) {
    const c = value[i];
    if (c === ' ') {
      i++;
      continue;
    }
    const quoted = c === '"';
    if (quoted) i++;
    while (i < value.length) {
      const d = value[i];
      if (quoted ? d === '"' : d === ' ') break;
      if (d === '\\' && i + 1 < value.length) {
        const oct = value.slice(i + 1, i + 4);
        if (/^[0-7]{3}$/.test(oct)) {
          out.push(parseInt(oct, 8));
          i += 4;
        } else {
          out.push(...Buffer.from(value[i + 1], 'utf8'));
          i += 2;
        }
        continue;
      }
      out.push(...Buffer.from(d, 'utf8'));
      i++;
    }
    if (quoted) i++;
  }
  return Buffer.from(out).toString('utf8');
}
