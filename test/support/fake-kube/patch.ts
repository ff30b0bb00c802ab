// JSON merge patch (RFC 7386) and JSON patch (RFC 6902). Strategic merge patch is treated as a
// merge patch (lists are replaced, not merged by key).
import { isRecord } from './resources.js';

export class PatchError extends Error {}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return structuredClone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/') || k === '$retainKeys') continue;
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescapeToken(t: string): string {
  return t.replace(/~1/g, '/').replace(/~0/g, '~');
}

function parsePointer(ptr: string): string[] {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw new PatchError(`invalid JSON pointer ${JSON.stringify(ptr)}`);
  return ptr.slice(1).split('/').map(unescapeToken);
}

type Container = Record<string, unknown> | unknown[];

function resolveParent(doc: unknown, tokens: string[]): { parent: Container; key: string } {
  if (tokens.length === 0) throw new PatchError('operation on the document root is not supported');
  let cur: unknown = doc;
  for (const t of tokens.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw new PatchError(`path not found: /${tokens.join('/')}`);
  }
  if (!Array.isArray(cur) && !isRecord(cur)) throw new PatchError(`path not found: /${tokens.join('/')}`);
  return { parent: cur, key: tokens[tokens.length - 1] };
}

function getAt(doc: unknown, tokens: string[]): unknown {
  let cur: unknown = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isRecord(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function arrayIndex(arr: unknown[], key: string, forAdd: boolean): number {
  if (forAdd && key === '-') return arr.length;
  if (!/^(0|[1-9][0-9]*)$/.test(key)) throw new PatchError(`invalid array index ${key}`);
  const i = Number(key);
  if (i > arr.length || (!forAdd && i === arr.length)) throw new PatchError(`array index out of range: ${key}`);
  return i;
}

function add(doc: unknown, tokens: string[], value: unknown): void {
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true), 0, structuredClone(value));
  else parent[key] = structuredClone(value);
}

function remove(doc: unknown, tokens: string[]): unknown {
  const { parent, key } = resolveParent(doc, tokens);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false), 1)[0];
  if (!(key in parent)) throw new PatchError(`path not found: /${tokens.join('/')}`);
  const old = parent[key];
  delete parent[key];
  return old;
}

export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops)) throw new PatchError('a JSON patch must be an array of operations');
  const doc = structuredClone(target);
  for (const op of ops) {
    if (!isRecord(op) || typeof op.op !== 'string' || typeof op.path !== 'string') throw new PatchError('invalid JSON patch operation');
    const path = parsePointer(op.path);
    switch (op.op) {
      case 'add':
        add(doc, path, op.value);
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'replace':
        remove(doc, path);
        add(doc, path, op.value);
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw new PatchError('move needs "from"');
        const v = remove(doc, parsePointer(op.from));
        add(doc, path, v);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError('copy needs "from"');
        const v = getAt(doc, parsePointer(op.from));
        if (v === undefined) throw new PatchError(`path not found: ${op.from}`);
        add(doc, path, v);
        break;
      }
      case 'test': {
        const v = getAt(doc, path);
        if (JSON.stringify(v) !== JSON.stringify(op.value)) throw new PatchError(`test failed at ${op.path}`);
        break;
      }
      default:
        throw new PatchError(`unknown JSON patch op ${JSON.stringify(op.op)}`);
    }
  }
  return doc;
}
