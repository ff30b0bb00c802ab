import { BodyTooLargeError } from './h1/index.js';
import type { BodySink } from './h1/index.js';

/**
 * The `data` listener that streams a request body from a Node stream (node:http's or
 * http2's request) into an upstream's sink: a body without a declared length (`declaredLength`
 * < 0) is counted against `maxBody` — past it, `stop()` unhooks the source and the sink fails
 * with BodyTooLargeError (413) — and the source is paused while the sink is full.
 */
export function bodyChunks(source: { pause(): void; resume(): void }, sink: BodySink, declaredLength: number, maxBody: number, stop: () => void): (chunk: Buffer) => void {
  let seen = 0;
  return (chunk) => {
    seen += chunk.length;
    if (declaredLength < 0 && seen > maxBody) {
      stop();
      sink.fail(new BodyTooLargeError(`request body over the limit of ${maxBody} bytes`));
      return;
    }
    if (!sink.write(chunk)) {
      source.pause();
      sink.onDrain(() => source.resume());
    }
  };
}
