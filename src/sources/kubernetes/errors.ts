import { STATUS_CODES } from 'node:http';

/** What went wrong with a request to an API server, in the words a person reads in a log. */
export interface KubeFailure {
  /** `401 Unauthorized`, `connect ECONNREFUSED 127.0.0.1:6443`, `500 Internal Server Error: etcd timeout`. */
  message: string;
  /** HTTP status, when the server answered. */
  status?: number;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

const MAX_MESSAGE = 1000;

/** The Status message a server put in its error body, if any. */
function statusMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b);
    } catch {
      return undefined;
    }
  }
  if (isObj(b) && typeof b.message === 'string' && b.message !== '') {
    // One log line: an RBAC message is a few hundred characters; anything far longer is noise.
    const m = b.message.replace(/\s+/g, ' ').trim();
    return m.length > MAX_MESSAGE ? `${m.slice(0, MAX_MESSAGE)}…` : m;
  }
  return undefined;
}

/**
 * Normalises the shapes client-node 1.4 fails with: `ApiException` (generated clients:
 * `code`, `body`), a refused watch's `Error` with `statusCode` and `body` (`openWatch`), node-fetch's `FetchError`
 * ("request to … failed, reason: connect ECONNREFUSED …") and plain errors.
 */
export function describeFailure(err: unknown): KubeFailure {
  if (!isObj(err)) return { message: String(err) };
  const status = typeof err.statusCode === 'number' ? err.statusCode : typeof err.code === 'number' && err.code >= 100 && err.code < 600 ? err.code : undefined;
  if (status !== undefined) {
    const text = STATUS_CODES[status] ?? 'Unknown Status';
    const detail = statusMessage(err.body);
    return { status, message: detail && detail !== text ? `${status} ${text}: ${detail}` : `${status} ${text}` };
  }
  const message = typeof err.message === 'string' ? err.message : String(err);
  const reason = /, reason: (.*)$/s.exec(message);
  return { message: (reason ? reason[1] : message).trim() || (typeof err.name === 'string' ? err.name : 'unknown error') };
}
