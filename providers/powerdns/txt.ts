// TXT content in PowerDNS's presentation form: one or more double-quoted character strings,
// '"' and '\' escaped by a backslash, other octets either raw (PowerDNS keeps UTF-8 as given)
// or as \DDD with DDD in DECIMAL (RFC 1035 §5.1; Route53's octal form is a different thing).

/** A character string holds at most 255 octets on the wire. */
const MAX_STRING_OCTETS = 255;

function escapeOctet(b: number): string {
  if (b === 0x22) return '\\"';
  if (b === 0x5c) return '\\\\';
  // Printable ASCII stays readable; control and non-ASCII octets as \DDD so a value survives
  // any backend's text handling byte for byte.
  if (b < 0x20 || b > 0x7e) return '\\' + String(b).padStart(3, '0');
  return String.fromCharCode(b);
}

/**
 * 'say "hi"' → '"say \"hi\""'. Text longer than 255 octets becomes several strings, split on
 * octet boundaries (the DNS joins them back; globaldns keeps one text per value).
 */
export function quotePdnsTxt(text: string): string {
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
 * The text of a TXT content as PowerDNS returns it: every character string decoded (\DDD
 * decimal, \X → X, raw UTF-8 kept) and the strings joined. Unquoted strings (which a zone
 * imported by other tools may hold) end at a space.
 */
export function unquotePdnsTxt(content: string): string {
  const out: number[] = [];
  const pushChar = (ch: string) => {
    for (const b of Buffer.from(ch, 'utf8')) out.push(b);
  };
  const chars = Array.from(content); // code points: a raw UTF-8 character is one step
  let i = 0;
  while (i < chars.length) {
    if (chars[i] === ' ' || chars[i] === '\t') {
      i++;
      continue;
    }
    const quoted = chars[i] === '"';
    if (quoted) i++;
    while (i < chars.length) {
      const c = chars[i];
      if (quoted ? c === '"' : c === ' ' || c === '\t') break;
      if (c === '\\' && i + 1 < chars.length) {
        const digits = chars.slice(i + 1, i + 4).join('');
        if (/^[0-9]{3}$/.test(digits) && Number(digits) <= 255) {
          out.push(Number(digits));
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
