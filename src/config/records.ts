import { absoluteName, addressType, isValidHostname, normalizeName, RR_TYPES } from '../model/index.js';
import type { RecordSet, RRType } from '../model/index.js';

/** One static record as written in the config, resolved against its zone. */
export interface RecordLine {
  /** Canonical owner name (absolute, lower case, no trailing dot). */
  name: string;
  type: RRType;
  ttl: number;
  /** Presentation form as documented on model `RecordSet.values`. */
  value: string;
}

export const DEFAULT_RECORD_TTL = 300;
const MAX_TTL = 2147483647; // RFC 2181 §8

/**
 * Parses one zone-file style line: `owner [ttl] [IN] type rdata`, where the TTL and class
 * may come in either order. The owner is relative to `apex`, `@`, or absolute with a
 * trailing dot; so are names inside the rdata (CNAME/NS/PTR/MX/SRV targets).
 * Throws an Error whose message says what is wrong with the line.
 */
export function parseRecordLine(line: string, apex: string): RecordLine {
  const tokens = tokenize(line);
  if (tokens.length < 3) throw new Error(`expected "owner [ttl] [IN] type rdata", got "${line}"`);
  const ownerToken = tokens[0];
  if (ownerToken.quoted) throw new Error('the owner name must not be quoted');
  const name = absoluteName(ownerToken.text, normalizeName(apex));
  if (!isValidHostname(name, { allowWildcard: true }) && name !== normalizeName(apex)) {
    throw new Error(`not a valid owner name "${ownerToken.text}"`);
  }

  let i = 1;
  let ttl: number | undefined;
  let sawClass = false;
  // TTL and class are both optional and may appear in either order (RFC 1035 §5.1).
  while (i < tokens.length && !tokens[i].quoted) {
    const t = tokens[i].text;
    if (/^\d+$/.test(t) && ttl === undefined) {
      ttl = Number(t);
      if (ttl > MAX_TTL) throw new Error(`TTL ${t} is larger than ${MAX_TTL}`);
    } else if (t.toUpperCase() === 'IN' && !sawClass) {
      sawClass = true;
    } else {
      break;
    }
    i++;
  }
  if (i >= tokens.length) throw new Error('missing record type');
  const typeText = tokens[i].text.toUpperCase();
  if (!isRRType(typeText)) {
    if (['CH', 'HS', 'CS'].includes(typeText)) throw new Error(`class ${typeText} is not supported, only IN`);
    throw new Error(`unsupported record type "${tokens[i].text}" (supported: ${RR_TYPES.join(', ')})`);
  }
  const rdata = tokens.slice(i + 1);
  if (rdata.length === 0) throw new Error(`missing ${typeText} data`);
  const value = parseRdata(typeText, rdata, normalizeName(apex));
  return { name, type: typeText, ttl: ttl ?? DEFAULT_RECORD_TTL, value };
}

/**
 * Groups parsed lines into record sets (one per name and type), de-duplicating values.
 * Lines of one set with different TTLs get the smallest: an RRset has one TTL (RFC 2181
 * §5.2) and the smallest is the one the author certainly accepts.
 */
export function groupRecordLines(lines: readonly RecordLine[]): RecordSet[] {
  const sets = new Map<string, RecordSet>();
  for (const line of lines) {
    const key = `${line.name}\u0000${line.type}`;
    const set = sets.get(key);
    if (!set) {
      sets.set(key, { name: line.name, type: line.type, ttl: line.ttl, values: [line.value] });
    } else {
      set.ttl = Math.min(set.ttl, line.ttl);
      if (!set.values.includes(line.value)) set.values.push(line.value);
    }
  }
  return [...sets.values()];
}

function isRRType(t: string): t is RRType {
  return (RR_TYPES as readonly string[]).includes(t);
}

interface Token {
  text: string;
  quoted: boolean;
}

/** Splits on blanks, keeping "quoted strings" (with \" and \\ escapes) as single tokens. */
function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '"') {
      let text = '';
      i++;
      let closed = false;
      while (i < line.length) {
        const d = line[i];
        if (d === '\\' && i + 1 < line.length) {
          text += line[i + 1];
          i += 2;
        } else if (d === '"') {
          closed = true;
          i++;
          break;
        } else {
          text += d;
          i++;
        }
      }
      if (!closed) throw new Error('unterminated quoted string');
      tokens.push({ text, quoted: true });
    } else if (c === ';') {
      break; // comment to end of line
    } else {
      let text = '';
      while (i < line.length && line[i] !== ' ' && line[i] !== '\t' && line[i] !== '"') {
        text += line[i];
        i++;
      }
      tokens.push({ text, quoted: false });
    }
  }
  return tokens;
}

function parseRdata(type: RRType, rdata: Token[], apex: string): string {
  const words = rdata.map((t) => t.text);
  const expect = (n: number, shape: string): void => {
    if (rdata.length !== n) throw new Error(`${type} data must be "${shape}", got "${words.join(' ')}"`);
  };
  switch (type) {
    case 'A':
    case 'AAAA': {
      expect(1, type === 'A' ? 'IPv4 address' : 'IPv6 address');
      const v = words[0].toLowerCase();
      if (addressType(v) !== type) {
        throw new Error(`${type} data must be an ${type === 'A' ? 'IPv4' : 'IPv6'} address, got "${words[0]}"`);
      }
      return v;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      expect(1, 'target name');
      return targetName(words[0], apex, type);
    case 'MX': {
      expect(2, 'preference exchange');
      return `${uint(words[0], 65535, 'MX preference')} ${targetName(words[1], apex, 'MX exchange')}`;
    }
    case 'SRV': {
      expect(4, 'priority weight port target');
      const [p, w, port] = [uint(words[0], 65535, 'SRV priority'), uint(words[1], 65535, 'SRV weight'), uint(words[2], 65535, 'SRV port')];
      // "." is the RFC 2782 way to say "no such service here".
      const target = words[3] === '.' ? '.' : targetName(words[3], apex, 'SRV target');
      return `${p} ${w} ${port} ${target}`;
    }
    case 'TXT': {
      // Several strings on one line are one record; readers concatenate them (RFC 7208 §3.3),
      // so the value is the joined text and the server re-splits it into 255-octet chunks.
      const text = words.join(rdata.every((t) => t.quoted) ? '' : ' ');
      if (Buffer.byteLength(text) > 65000) throw new Error('TXT data is too long');
      return text;
    }
    case 'CAA': {
      expect(3, 'flags tag "value"');
      const flags = uint(words[0], 255, 'CAA flags');
      const tag = words[1].toLowerCase();
      if (!/^[a-z0-9]{1,15}$/.test(tag)) throw new Error(`CAA tag must be 1-15 letters or digits, got "${words[1]}"`);
      return `${flags} ${tag} "${words[2].replace(/["\\]/g, (c) => `\\${c}`)}"`;
    }
  }
}

function uint(text: string, max: number, what: string): number {
  if (!/^\d+$/.test(text) || Number(text) > max) throw new Error(`${what} must be an integer 0..${max}, got "${text}"`);
  return Number(text);
}

function targetName(text: string, apex: string, what: string): string {
  const name = absoluteName(text, apex);
  if (!isValidHostname(name, { allowWildcard: false }) && !(name === apex && name !== '')) {
    throw new Error(`${what} "${text}" is not a valid host name`);
  }
  return name;
}
