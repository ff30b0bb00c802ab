// Label and field selectors as the API server understands them (the common subset).
import type { KubeObject } from './resources.js';

export class SelectorError extends Error {}

type LabelRequirement =
  | { op: 'exists' | 'notexists'; key: string }
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };

export type Matcher = (obj: KubeObject) => boolean;

const KEY = String.raw`[A-Za-z0-9][-A-Za-z0-9_./]*`;
const VALUE = String.raw`[-A-Za-z0-9_.]*`;

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += ch;
    }
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

export function parseLabelSelector(text: string | undefined): Matcher {
  if (text === undefined || text.trim() === '') return () => true;
  const reqs: LabelRequirement[] = [];
  for (const part of splitTopLevel(text)) {
    let m: RegExpMatchArray | null;
    if ((m = part.match(new RegExp(`^!\\s*(${KEY})$`)))) {
      reqs.push({ op: 'notexists', key: m[1] });
    } else if ((m = part.match(new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^()]*)\\)$`)))) {
      const values = m[3].split(',').map((v) => v.trim());
      if (values.some((v) => !new RegExp(`^${VALUE}$`).test(v))) throw new SelectorError(`invalid label selector value in "${part}"`);
      reqs.push({ op: m[2] === 'in' ? 'in' : 'notin', key: m[1], values });
    } else if ((m = part.match(new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`)))) {
      reqs.push({ op: m[2] === '!=' ? 'neq' : 'eq', key: m[1], value: m[3] });
    } else if ((m = part.match(new RegExp(`^(${KEY})$`)))) {
      reqs.push({ op: 'exists', key: m[1] });
    } else {
      throw new SelectorError(`unable to parse requirement: "${part}"`);
    }
  }
  return (obj) => {
    const labels = obj.metadata.labels ?? {};
    return reqs.every((r) => {
      const has = Object.prototype.hasOwnProperty.call(labels, r.key);
      const v = labels[r.key];
      switch (r.op) {
        case 'exists':
          return has;
        case 'notexists':
          return !has;
        case 'eq':
          return has && v === r.value;
        case 'neq':
          return !has || v !== r.value;
        case 'in':
          return has && r.values.includes(v ?? '');
        case 'notin':
          return !has || !r.values.includes(v ?? '');
      }
    });
  };
}

const FIELDS: Record<string, (obj: KubeObject) => string> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace ?? '',
};

export function parseFieldSelector(text: string | undefined): Matcher {
  if (text === undefined || text.trim() === '') return () => true;
  const tests: Matcher[] = [];
  for (const part of splitTopLevel(text)) {
    const m = part.match(/^([A-Za-z.]+)\s*(==|=|!=)\s*(.*)$/);
    if (!m) throw new SelectorError(`invalid field selector: "${part}"`);
    const get = FIELDS[m[1]];
    if (!get) throw new SelectorError(`field label not supported: ${m[1]}`);
    const want = m[3].trim();
    const neg = m[2] === '!=';
    tests.push((o) => (get(o) === want) !== neg);
  }
  return (obj) => tests.every((t) => t(obj));
}
