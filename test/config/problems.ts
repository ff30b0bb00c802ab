// The problems a config text is refused with, for tests that check the messages users see.
import { ConfigError, parseConfig } from '../../src/config/index.js';

/** The ConfigError's problems; throws if the text is accepted (unless `acceptedAs` is given). */
export function problemsOf(text: string, opts: { baseDir: string }, acceptedAs?: string[]): string[] {
  try {
    parseConfig(text, opts);
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  if (acceptedAs) return acceptedAs;
  throw new Error('expected a ConfigError');
}
