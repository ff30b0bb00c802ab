/**
 * The EndpointStore persisted beside the zones in the state directory (`endpoints.json`), so
 * that after a restart a cluster that cannot be reached still has its last endpoints, under
 * the same rule as a cluster lost while running (kept where no live cluster serves a name),
 * and the zones can follow the live clusters at once instead of being held until every
 * cluster has been read.
 *
 * Written atomically (temp file, fsync, rename), debounced: a burst of watch events costs one
 * write. A file that cannot be read (corrupt, foreign, a format from another version) is
 * logged once, moved aside as `endpoints.json.bad` for a person to look at, and the process
 * starts without it: never a crash.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Endpoint } from '../model/index.js';
import type { Clock, Logger, TimerHandle } from '../kernel/index.js';
import { silentLogger, systemClock } from '../kernel/index.js';
import type { EndpointStore } from './store.js';

export const STORE_SNAPSHOT_FILE = 'endpoints.json';
/** What the file says it is; anything else in its place is not ours. */
const KIND = 'globaldns-endpoints';
const FORMAT = 1;

export interface StoreSnapshotOptions {
  stateDir: string;
  store: EndpointStore;
  /** Delay before a change is written; changes within it are coalesced. Default 1 s. */
  debounceMs?: number;
  clock?: Clock;
  logger?: Logger;
}

export class StoreSnapshot {
  private readonly file: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private timer: TimerHandle | undefined;
  private writing: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly opts: StoreSnapshotOptions) {
    this.file = join(opts.stateDir, STORE_SNAPSHOT_FILE);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger ?? silentLogger;
  }

  /**
   * Puts the saved endpoints of the clusters `keep` accepts into the store (clusters no longer
   * configured are left out: nothing would ever replace them). Call before the sources start.
   * Returns true when a snapshot was read, even an empty one; false when there was none or it
   * was unusable.
   */
  async restore(keep: (cluster: string) => boolean): Promise<boolean> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.log.error({ file: this.file, err: (e as Error).message }, `endpoint snapshot ${this.file} unreadable; starting without it`);
      return false;
    }
    let endpoints: Endpoint[];
    try {
      endpoints = parseSnapshot(text);
    } catch (e) {
      const aside = `${this.file}.bad`;
      const moved = await rename(this.file, aside).then(
        () => true,
        () => false,
      );
      this.log.error(
        { file: this.file, err: (e as Error).message, ...(moved ? { movedTo: aside } : {}) },
        `endpoint snapshot ${this.file} ignored: ${(e as Error).message}${moved ? ` (moved to ${aside})` : ''}`,
      );
      return false;
    }
    const byCluster = new Map<string, Endpoint[]>();
    for (const e of endpoints) {
      if (!keep(e.cluster)) continue;
      let list = byCluster.get(e.cluster);
      if (!list) byCluster.set(e.cluster, list = []);
      list.push(e);
    }
    for (const [cluster, list] of byCluster) this.opts.store.replaceCluster(cluster, list);
    this.log.info(
      { file: this.file, clusters: [...byCluster.keys()].sort(), endpoints: [...byCluster.values()].reduce((n, l) => n + l.length, 0) },
      'endpoints restored from the state directory',
    );
    return true;
  }

  /** Writes the store after each change (debounced) until `stop()`. */
  start(): void {
    this.unsubscribe ??= this.opts.store.onChange(() => this.schedule());
  }

  /** Writes what is pending now and waits for it (shutdown). */
  async flush(): Promise<void> {
    if (this.timer) {
      this.timer.cancel();
      this.timer = undefined;
      this.write();
    }
    await this.writing;
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.write();
    }, this.opts.debounceMs ?? 1000);
  }

  private write(): void {
    const endpoints = this.opts.store.all();
    // Chained so that two writes never interleave; a failed write is logged and retried on the next change.
    this.writing = this.writing
      .then(() => writeAtomically(this.opts.stateDir, this.file, serialise(endpoints)))
      .catch((e: unknown) => this.log.error({ file: this.file, err: (e as Error).message }, 'endpoint snapshot write failed'));
  }
}

function serialise(endpoints: readonly Endpoint[]): string {
  return JSON.stringify({ kind: KIND, format: FORMAT, savedAt: new Date().toISOString(), endpoints });
}

async function writeAtomically(dir: string, file: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}

/** The endpoints of a snapshot file's text; throws, saying why, for anything else. */
export function parseSnapshot(text: string): Endpoint[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error('not JSON');
  }
  if (!isObj(doc) || doc.kind !== KIND) throw new Error(`not a globaldns endpoint snapshot (kind ${isObj(doc) && doc.kind !== undefined ? JSON.stringify(doc.kind) : 'missing'})`);
  if (doc.format !== FORMAT) throw new Error(`format ${JSON.stringify(doc.format)}, this version reads format ${FORMAT}`);
  if (!Array.isArray(doc.endpoints)) throw new Error('no endpoints list');
  return doc.endpoints.map((e, i) => {
    const problem = endpointProblem(e);
    if (problem !== undefined) throw new Error(`endpoint ${i}: ${problem}`);
    return e as Endpoint;
  });
}

/** What makes `v` no endpoint, or undefined: the store and the planner trust its shape. */
function endpointProblem(v: unknown): string | undefined {
  if (!isObj(v)) return 'not an object';
  for (const k of ['cluster', 'namespace', 'name'] as const) if (typeof v[k] !== 'string' || v[k] === '') return `${k} missing`;
  if (v.kind !== 'Ingress' && v.kind !== 'Service') return `kind ${JSON.stringify(v.kind)}`;
  if (!isStrings(v.hostnames) || v.hostnames.length === 0) return 'hostnames';
  if (!isStrings(v.targets)) return 'targets';
  if (v.project !== undefined && typeof v.project !== 'string') return 'project';
  if (v.ttl !== undefined && !(Number.isInteger(v.ttl) && (v.ttl as number) >= 0)) return 'ttl';
  if (v.namespaceLabels !== undefined && !(isObj(v.namespaceLabels) && Object.values(v.namespaceLabels).every((x) => typeof x === 'string'))) return 'namespaceLabels';
  if (v.paths !== undefined && !(isObj(v.paths) && Object.values(v.paths).every(isStrings))) return 'paths';
  return undefined;
}

function isStrings(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
