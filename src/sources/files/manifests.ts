import { parseAllDocuments } from 'yaml';
import type { ManifestProblem } from './problems.js';

/** One Kubernetes object found in a file, with where it was found. */
export interface ManifestObject {
  file: string;
  /** 1-based document number. */
  document: number;
  object: Record<string, unknown>;
}

export interface ParsedFile {
  objects: ManifestObject[];
  problems: ManifestProblem[];
}

/**
 * Splits file text into Kubernetes objects: multi-document YAML (JSON is read as YAML, of
 * which it is a subset), with `kind: List` (and `*List`) items expanded. A document that does
 * not parse is reported and skipped; the other documents of the file still count.
 */
export function parseManifestText(text: string, file: string): ParsedFile {
  const objects: ManifestObject[] = [];
  const problems: ManifestProblem[] = [];
  const docs = parseAllDocuments(text, { prettyErrors: false });
  // A stream with no documents still carries the errors found outside any document.
  if (docs.length === 0 && 'errors' in docs && docs.errors.length > 0) {
    return { objects, problems: [{ file, reason: `YAML error: ${docs.errors[0].message.split('\n')[0]}` }] };
  }
  docs.forEach((doc, i) => {
    const document = i + 1;
    if (doc.errors.length > 0) {
      problems.push({ file, document, reason: `YAML error: ${doc.errors[0].message.split('\n')[0]}` });
      return;
    }
    const value: unknown = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) return; // empty document, e.g. a trailing '---'
    if (!isObj(value)) {
      problems.push({ file, document, reason: 'not a Kubernetes object (expected a mapping)' });
      return;
    }
    if (typeof value.kind !== 'string') {
      problems.push({ file, document, reason: 'missing kind' });
      return;
    }
    if (value.kind === 'List' || value.kind.endsWith('List')) {
      const items = value.items;
      if (!Array.isArray(items)) {
        problems.push({ file, document, reason: `${value.kind} without items` });
        return;
      }
      items.forEach((item: unknown, j) => {
        if (isObj(item) && typeof item.kind === 'string') objects.push({ file, document, object: item });
        else problems.push({ file, document, reason: `items[${j}] is not a Kubernetes object` });
      });
      return;
    }
    objects.push({ file, document, object: value });
  });
  return { objects, problems };
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
