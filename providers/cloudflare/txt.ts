// TXT content on Cloudflare's wire: RFC 1035 character strings in double quotes, at most 255
// octets each, '"' and '\' escaped with a backslash and \DDD meaning a DECIMAL octet (Route53's
// \DDD is octal, so its helpers do not fit). Text is kept as UTF-8; a string boundary never
// splits a character.

const MAX_STRING_OCTETS = 255;

/** 'a "b"' → '"a \"b\""'; text longer than 255 octets becomes several strings. */
export function quoteCloudflareTxt(text: string): string {
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
  return strings.map((s) => `"${s}"`).join(' ');
}

const QUOTED = /^\s*("(?:[^"\\]|\\.)*"\s*)+$/s;

/**
 * The text of a TXT content as Cloudflare holds it: quoted character strings are decoded and
 * joined (globaldns keeps one text per value); content that is not made of quoted strings is
 * the text itself (Cloudflare accepts unquoted content and serves it as one text).
 */
export function unquoteCloudflareTxt(content: string): string {
  if (!QUOTED.test(content)) return content;
  const bytes: number[] = [];
  const re = /"((?:[^"\\]|\\.)*)"/gs;
  for (let m = re.exec(content); m !== null; m = re.exec(content)) {
    const s = m[1];
    for (let i = 0; i < s.length; i++) {
      const decimal = /^[0-9]{3}$/.test(s.slice(i + 1, i + 4));
      if (s[i] === '\\' && decimal) {
        bytes.push(Number(s.slice(i + 1, i + 4)) & 0xff);
        i += 3;
      } else {
        const ch = s[i] === '\\' ? s[++i] : s[i];
        // A surrogate pair is one character: take both halves.
        const code = ch.codePointAt(0) ?? 0;
        const full = code > 0xffff ? String.fromCodePoint(code) : ch;
        if (full.length === 2) i++;
        bytes.push(...Buffer.from(full, 'utf8'));
      }
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
