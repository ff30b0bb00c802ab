import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';

/** The process's logger as the composition root holds it (the modules take the kernel's `Logger`). */
export type ServiceLogger = Logger;

/**
 * Keys that may carry credentials once providers and kubeconfigs arrive; redacted wherever
 * they appear so that a careless `log.info({ provider })` cannot leak them.
 */
const SECRET_KEYS = ['password', 'token', 'secret', 'apiKey', 'apiToken', 'tsigSecret', 'authorization', 'Authorization', 'secretAccessKey', 'sessionToken', 'privateKey'];
const SECRET_PATHS = [
  ...SECRET_KEYS,
  ...SECRET_KEYS.map((k) => `*.${k}`),
  // One level further for the shapes that nest them: a provider's settings, a request's headers.
  ...SECRET_KEYS.map((k) => `*.*.${k}`),
  'headers.authorization',
  '*.kubeconfig',
];

/**
 * JSON lines on stdout (or `destination`), level as a word so logs read without a table. The
 * pino logger satisfies the kernel's `Logger` (src/kernel), the one type modules take; only
 * the composition root (`src/app`, `src/cli.ts`) holds it as itself (`ServiceLogger`: `fatal`).
 */
export function createLogger(level: string, destination?: DestinationStream): ServiceLogger {
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
