/**
 * A start-up failure that has been logged (at fatal) where it happened: the command exits 1
 * without printing it again. Modules under src/app throw it instead of exiting, so the wiring
 * can be started and stopped by tests in one process.
 */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}
