/**
 * Kubernetes label selectors (`env=prod,tier in (web,api),!legacy`), parsed once at config
 * time so a typo is a config error, and matched locally against namespace labels.
 *
 * Grammar, as kubectl accepts it: requirements separated by commas; each is `key`, `!key`,
 * `key=value`, `key==value`, `key!=value`, `key in (v1,v2)` or `key notin (v1,v2)`.
 */

export type LabelRequirement =
  | { key: string; op: 'exists' | 'notExists' }
  | { key: string; op: 'in' | 'notIn'; values: string[] };

export interface LabelSelector {
  /** The text as written, for messages. */
  text: string;
  requirements: LabelRequirement[];
}

// Qualified name: optional DNS-subdomain prefix and '/', then a name of up to 63 characters.
const NAME = /^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/;
const PREFIX = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
const VALUE = /^([A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?)?$/;

function checkKey(key: string): void {
  const slash = key.indexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !PREFIX.test(prefix))) throw new Error(`invalid label key prefix "${prefix}"`);
  if (!NAME.test(name)) throw new Error(`invalid label key "${key}"`);
}

function checkValue(value: string): void {
  if (!VALUE.test(value)) throw new Error(`invalid label value "${value}"`);
}

/** Splits on commas that are not inside parentheses. */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of text) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (depth < 0) throw new Error('unbalanced ")"');
    if (c === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (depth !== 0) throw new Error('unbalanced "("');
  parts.push(cur);
  return parts;
}

function parseRequirement(raw: string): LabelRequirement {
  const part = raw.trim();
  if (part === '') throw new Error('empty requirement');
  const set = /^(\S+)\s+(in|notin)\s*\((.*)\)$/.exec(part);
  if (set) {
    checkKey(set[1]);
    const values = set[3].split(',').map((v) => v.trim());
    if (values.length === 1 && values[0] === '') throw new Error(`"${set[2]}" needs at least one value`);
    values.forEach(checkValue);
    return { key: set[1], op: set[2] === 'in' ? 'in' : 'notIn', values };
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
  if (eq) {
    checkKey(eq[1]);
    checkValue(eq[3]);
    return { key: eq[1], op: eq[2] === '!=' ? 'notIn' : 'in', values: [eq[3]] };
  }
  const exists = /^(!?)\s*([^!=\s()]+)$/.exec(part);
  if (exists) {
    checkKey(exists[2]);
    return { key: exists[2], op: exists[1] === '!' ? 'notExists' : 'exists' };
  }
  throw new Error(`cannot parse "${part}"`);
}

/** Parses a selector; throws an Error naming the first broken requirement. An empty text selects everything. */
export function parseLabelSelector(text: string): LabelSelector {
  if (text.trim() === '') return { text, requirements: [] };
  return { text, requirements: splitTop(text).map(parseRequirement) };
}

/** As the API server decides it: `notin` and `!=` also select objects without the key. */
export function matchesLabels(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const r of selector.requirements) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case 'notExists':
        if (has) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(labels[r.key])) return false;
        break;
      case 'notIn':
        if (has && r.values.includes(labels[r.key])) return false;
        break;
    }
  }
  return true;
}
