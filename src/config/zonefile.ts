/**
 * Reads an RFC 1035 §5 master file ("zone file"), so a zone kept for BIND, Knot or NSD can be
 * served as it is, and large static zones load without going through YAML.
 *
 * Understood: $ORIGIN, $TTL, comments, parentheses spanning lines, a blank owner meaning "the
 * previous owner", '@', TTLs with units (1h30m, 2d). The SOA and the apex NS set are returned
 * apart: they describe the zone rather than being records of it. $INCLUDE and $GENERATE are
 * refused with a clear error rather than ignored.
 */
import { absoluteName, normalizeName } from '../model/index.js';
import type { RecordSet, Soa } from '../model/index.js';
import { groupRecordLines, parseRecordLine, type RecordLine } from './records.js';

export interface ZoneFile {
  records: RecordSet[];
  soa?: Omit<Soa, 'serial'> & { serial: number };
  ns: string[];
  nsTtl?: number;
  /** One entry per bad line: "line 12: reason". Good lines are kept. */
  problems: string[];
}

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** "3600", "1h", "1h30m", "2D" → seconds; undefined when it is not a TTL. */
export function parseTtl(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  if (!/^(\d+[smhdw])+$/i.test(text)) return undefined;
  let total = 0;
  for (const m of text.toLowerCase().matchAll(/(\d+)([smhdw])/g)) total += Number(m[1]) * UNIT[m[2]];
  return total;
}

export function parseZoneFile(text: string, apex: string): ZoneFile {
  const zone = normalizeName(apex);
  let origin = zone;
  let defaultTtl: number | undefined;
  let lastOwner: string | undefined;
  const lines: RecordLine[] = [];
  const ns: string[] = [];
  let nsTtl: number | undefined;
  let soa: ZoneFile['soa'];
  const problems: string[] = [];

  for (const { text: entry, line } of logicalLines(text, problems)) {
    try {
      const blankOwner = /^[ \t]/.test(entry);
      const words = entry.trim().split(/[ \t]+/);
      if (words[0] === '') continue;
      if (words[0].startsWith('$')) {
        const directive = words[0].toUpperCase();
        if (directive === '$ORIGIN') {
          const arg = requireArg(words, directive);
          origin = arg.endsWith('.') ? normalizeName(arg) : absoluteName(arg, origin);
        }
        else if (directive === '$TTL') {
          const ttl = parseTtl(requireArg(words, directive));
          if (ttl === undefined) throw new Error(`$TTL "${words[1]}" is not a TTL`);
          defaultTtl = ttl;
        } else throw new Error(`${words[0]} is not supported`);
        continue;
      }
      const ownerText = blankOwner ? lastOwner : words.shift();
      if (ownerText === undefined) throw new Error('a record with a blank owner needs a record above it');
      const owner = ownerText === '@' ? origin : ownerText.endsWith('.') ? normalizeName(ownerText) : absoluteName(ownerText, origin);
      lastOwner = owner === '' ? '.' : `${owner}.`;

      // Class and TTL in either order; TTL with units; $TTL (or the SOA minimum, RFC 1035) when absent.
      let ttl: number | undefined;
      let i = 0;
      for (; i < words.length && i < 2; i++) {
        const w = words[i];
        if (w.toUpperCase() === 'IN') continue;
        const t = parseTtl(w);
        if (t === undefined || ttl !== undefined) break;
        ttl = t;
      }
      const rest = words.slice(i);
      const type = (rest[0] ?? '').toUpperCase();
      if (type === 'SOA') {
        if (owner !== zone) throw new Error(`SOA for ${owner} in the file of ${zone}`);
        soa = parseSoa(rest.slice(1), origin, ttl ?? defaultTtl);
        defaultTtl ??= soa.minimum;
        continue;
      }
      const effectiveTtl = ttl ?? defaultTtl ?? soa?.minimum;
      const rebuilt = `${lastOwner} ${effectiveTtl ?? ''} IN ${rest.join(' ')}`;
      const rec = parseRecordLine(rebuilt, origin);
      if (rec.type === 'NS' && rec.name === zone) {
        ns.push(rec.value);
        nsTtl = Math.min(nsTtl ?? rec.ttl, rec.ttl);
        continue;
      }
      lines.push(rec);
    } catch (err) {
      problems.push(`line ${line}: ${(err as Error).message}`);
    }
  }
  return { records: groupRecordLines(lines), soa, ns, nsTtl, problems };
}

function requireArg(words: string[], directive: string): string {
  if (words.length < 2) throw new Error(`${directive} needs an argument`);
  return words[1];
}

function parseSoa(words: string[], origin: string, ttl: number | undefined): NonNullable<ZoneFile['soa']> {
  if (words.length !== 7) throw new Error(`SOA needs "mname rname serial refresh retry expire minimum", got "${words.join(' ')}"`);
  const num = (w: string, what: string): number => {
    const n = parseTtl(w);
    if (n === undefined || n > 0xffffffff) throw new Error(`SOA ${what} "${w}" is not a number`);
    return n;
  };
  const name = (w: string) => (w.endsWith('.') ? normalizeName(w) : absoluteName(w, origin));
  const minimum = num(words[6], 'minimum');
  return {
    mname: name(words[0]),
    rname: name(words[1]),
    serial: num(words[2], 'serial'),
    refresh: num(words[3], 'refresh'),
    retry: num(words[4], 'retry'),
    expire: num(words[5], 'expire'),
    minimum,
    ttl: ttl ?? minimum,
  };
}

/**
 * Joins lines inside parentheses into one logical line and strips comments (a ';' outside
 * quotes), keeping the number of the line each entry starts on.
 */
function* logicalLines(text: string, problems: string[]): Generator<{ text: string; line: number }> {
  let buffer = '';
  let depth = 0;
  let start = 0;
  const physical = text.split(/\r?\n/);
  for (let n = 0; n < physical.length; n++) {
    let out = '';
    let quoted = false;
    for (const c of physical[n]) {
      if (c === '"') quoted = !quoted;
      if (!quoted && c === ';') break;
      if (!quoted && c === '(') {
        depth++;
        out += ' ';
        continue;
      }
      if (!quoted && c === ')') {
        depth--;
        out += ' ';
        continue;
      }
      out += c;
    }
    if (buffer === '') start = n + 1;
    buffer += buffer === '' ? out : ` ${out}`;
    if (depth < 0) {
      problems.push(`line ${n + 1}: ')' without '('`);
      depth = 0;
      buffer = '';
      continue;
    }
    if (depth === 0) {
      if (buffer.trim() !== '') yield { text: buffer, line: start };
      buffer = '';
    }
  }
  if (depth > 0) problems.push(`line ${start}: '(' not closed`);
}
