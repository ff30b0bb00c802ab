/**
 * A configuration that cannot be used. `problems` holds every error found, each prefixed
 * with its path (`entries[2].fqdn: not a valid hostname`), so a user fixes them in one pass
 * instead of one run per mistake.
 */
export class ConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[], source?: string) {
    const head = source ? `invalid configuration ${source}` : 'invalid configuration';
    super(`${head}:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Formats a zod-style path as `entries[2].targets[0].cluster`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}
