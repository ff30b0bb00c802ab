import { watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../../kernel/index.js';
import type { EndpointStore } from '../store.js';
import { endpointsFromObjects } from './endpoints.js';
import { parseManifestText } from './manifests.js';
import type { ParsedFile } from './manifests.js';
import { formatProblem } from './problems.js';
import type { ProblemReporter } from './problems.js';

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface FolderSourceOptions {
  cluster: string;
  /** Absolute path of the folder; only its top level is read. */
  dir: string;
  store: EndpointStore;
  /** Told once about each problem, for as long as the problem stays. */
  report: ProblemReporter;
  /** Quiet time after the last change before re-reading; editors write in bursts. */
  debounceMs?: number;
  /**
   * Re-read the folder this often even without events: fs.watch misses changes on some
   * file systems (network mounts, some container volumes) and dies with its folder.
   * Unchanged files are not re-parsed, so this is cheap. 0 turns it off.
   */
  pollIntervalMs?: number;
  /** Timers of the poll and the debounce (default systemClock). */
  clock?: Clock;
}

/**
 * A folder of manifests standing for one cluster. Each sync re-reads the folder and hands
 * the whole result to the store, which diffs it, so edits, renames and deletions all come
 * out right however the editor wrote the file.
 */
export class FolderSource {
  private readonly opts: Required<Omit<FolderSourceOptions, 'clock'>>;
  private readonly clock: Clock;
  /** Parsed files by path, kept with their text so an unchanged file is not parsed again. */
  private readonly cache = new Map<string, { text: string; parsed: ParsedFile }>();
  /** Problems already reported, so each is told once while it lasts. */
  private reported = new Set<string>();
  private watcher: FSWatcher | undefined;
  private debounce: TimerHandle | undefined;
  private poll: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private hasSynced = false;
  private readonly firstSync: Promise<void>;
  private markSynced: () => void = () => {};

  constructor(opts: FolderSourceOptions) {
    const { clock, ...rest } = opts;
    this.opts = { debounceMs: 50, pollIntervalMs: 5000, ...rest };
    this.clock = clock ?? systemClock;
    this.firstSync = new Promise((resolve) => (this.markSynced = resolve));
  }

  /** True once the folder has been read successfully; until then the store has nothing of this cluster. */
  get synced(): boolean {
    return this.hasSynced;
  }

  /** Resolves at the first successful read (which may come long after start, when the folder appears). */
  whenSynced(): Promise<void> {
    return this.firstSync;
  }

  get cluster(): string {
    return this.opts.cluster;
  }

  /** Reads the folder once, then follows it. Resolves after the first attempt; see `synced`. */
  async start(): Promise<void> {
    this.stopped = false;
    this.startWatching();
    if (this.opts.pollIntervalMs > 0) this.schedulePoll();
    await this.sync();
  }

  /** Every pollIntervalMs, whether or not the last sync has finished (sync() coalesces); not kept alive. */
  private schedulePoll(): void {
    this.poll = this.clock.setTimeout(() => {
      if (this.stopped) return;
      this.schedulePoll();
      // The folder may have appeared, or come back, since the watcher failed.
      if (!this.watcher) this.startWatching();
      void this.sync();
    }, this.opts.pollIntervalMs);
  }

  stop(): void {
    this.stopped = true;
    this.watcher?.close();
    this.watcher = undefined;
    this.debounce?.cancel();
    this.poll?.cancel();
    this.debounce = this.poll = undefined;
  }

  /** Re-reads the folder now. Concurrent calls collapse into one extra run. */
  sync(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.readOnce();
        } while (this.again && !this.stopped);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private startWatching(): void {
    if (this.stopped) return;
    try {
      // Watching the folder, not the files: editors that write a new file and rename it
      // over the old one replace the inode, which a per-file watch would lose.
      const w = watch(this.opts.dir, { persistent: false }, () => this.schedule());
      w.on('error', () => {
        w.close();
        if (this.watcher === w) this.watcher = undefined;
        this.schedule();
      });
      this.watcher = w;
    } catch {
      // Folder missing or unreadable: readOnce reports it; the poll retries the watch.
      this.watcher = undefined;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.debounce?.cancel();
    // Kept alive, as before: a re-read is due.
    this.debounce = this.clock.setTimeout(
      () => {
        this.debounce = undefined;
        void this.sync();
      },
      this.opts.debounceMs,
      { keepAlive: true },
    );
  }

  private async readOnce(): Promise<void> {
    const { dir, cluster } = this.opts;
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => !n.startsWith('.') && MANIFEST_EXTENSIONS.has(extname(n).toLowerCase())).sort();
    } catch (e) {
      // Serve what was last read rather than nothing: a folder that vanishes for a moment
      // (a checkout, a remount) must not withdraw the cluster from DNS.
      this.reportAll([{ file: dir, reason: `cannot read folder: ${(e as Error).message}` }]);
      return;
    }

    const seen = new Set<string>();
    const problems: ParsedFile['problems'] = [];
    const objects: ParsedFile['objects'] = [];
    for (const name of names) {
      const file = join(dir, name);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        // Gone between readdir and read (an editor's rename) or a folder named *.yaml: not a manifest now.
        if (code === 'ENOENT' || code === 'EISDIR') continue;
        problems.push({ file, reason: `cannot read: ${(e as Error).message}` });
        continue;
      }
      seen.add(file);
      let entry = this.cache.get(file);
      if (!entry || entry.text !== text) {
        entry = { text, parsed: parseManifestText(text, file) };
        this.cache.set(file, entry);
      }
      problems.push(...entry.parsed.problems);
      objects.push(...entry.parsed.objects);
    }
    for (const file of this.cache.keys()) if (!seen.has(file)) this.cache.delete(file);

    const built = endpointsFromObjects(cluster, objects);
    this.reportAll([...problems, ...built.problems]);
    if (this.stopped) return;
    this.opts.store.replaceCluster(cluster, built.endpoints);
    if (!this.hasSynced) {
      this.hasSynced = true;
      this.markSynced();
    }
  }

  private reportAll(problems: ParsedFile['problems']): void {
    const now = new Set<string>();
    for (const p of problems) {
      const key = formatProblem(p);
      now.add(key);
      if (!this.reported.has(key)) this.opts.report(p);
    }
    this.reported = now;
  }
}
