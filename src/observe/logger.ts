import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Keys that may carry credentials once providers and kubeconfigs arrive; redacted wherever
 * they appear so that a careless `log.info({ provider })` cannot leak them.
 */
const SECRET_PATHS = [
  'password',
  'token',
  'secret',
  'apiKey',
  'authorization',
  '*.password',
  '*.token',
  '*.secret',
  '*.apiKey',
  '*.authorization',
  '*.secretAccessKey',
  '*.headers.authorization',
  '*.kubeconfig',
];

/** JSON lines on stdout (or `destination`), level as a word so logs read without a table. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: SECRET_PATHS, censor: '[redacted]' },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
