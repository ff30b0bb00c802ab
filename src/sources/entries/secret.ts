import { inspect } from 'node:util';

/**
 * A provider's credentials, read from a Secret. The values live in a private field: they are
 * not enumerable, `JSON.stringify` (and so pino) and `util.inspect` show the Secret's name
 * and keys only, so a view that is logged by mistake leaks nothing.
 */
export class ProviderSecret {
  readonly #values: ReadonlyMap<string, string>;

  constructor(
    /** `namespace/name` of the Secret. */
    readonly ref: string,
    /** Changes with every update of the Secret (rotation). */
    readonly resourceVersion: string,
    values: ReadonlyMap<string, string>,
  ) {
    this.#values = values;
  }

  /** The decoded value of `key`. Never log it. */
  get(key: string): string | undefined {
    return this.#values.get(key);
  }

  /** The first of `keys` the Secret has (for alternative spellings such as accessKeyId / AWS_ACCESS_KEY_ID). */
  first(...keys: string[]): string | undefined {
    for (const k of keys) {
      const v = this.#values.get(k);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  keys(): string[] {
    return [...this.#values.keys()].sort();
  }

  toJSON(): { ref: string; resourceVersion: string; keys: string[] } {
    return { ref: this.ref, resourceVersion: this.resourceVersion, keys: this.keys() };
  }

  toString(): string {
    return `Secret ${this.ref} (${this.keys().join(', ')})`;
  }

  [inspect.custom](): string {
    return this.toString();
  }
}

/** Decodes a Secret's `data` (base64 values, as the API returns them). */
export function decodeSecretData(data: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof data !== 'object' || data === null) return out;
  for (const [k, v] of Object.entries(data)) {
    if (typeof v === 'string') out.set(k, Buffer.from(v, 'base64').toString('utf8'));
  }
  return out;
}
