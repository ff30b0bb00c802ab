// A certificate and key from files (standalone mode), reloaded when either changes. The
// directory is watched rather than the files, because tools replace certificates by renaming
// a new file over the old one, which a watch on the old file's inode would not see.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../../kernel/index.js';
import { bundleFromPem, type CertificateBundle } from './bundle.js';

export interface FileCertificateOptions {
  certFile: string;
  keyFile: string;
  onBundle(bundle: CertificateBundle): void;
  /** a load failed (missing file, key mismatch...); the last good bundle stays served */
  onError(err: Error): void;
  /** wait this long after the last change before reading (writers touch cert and key apart) */
  debounceMs?: number;
  /** The debounce timer's clock (default systemClock). */
  clock?: Clock;
}

export async function loadCertificateFiles(certFile: string, keyFile: string): Promise<CertificateBundle> {
  let certPem: string;
  let keyPem: string;
  try {
    [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (err) {
    throw new Error(`certFile ${certFile} / keyFile ${keyFile}: ${(err as Error).message}`);
  }
  return bundleFromPem(certPem, keyPem, `certFile ${certFile} / keyFile ${keyFile}`);
}

export class FileCertificateWatcher {
  private watchers: FSWatcher[] = [];
  private timer: TimerHandle | undefined;
  private lastCertPem: string | undefined;
  private stopped = false;

  constructor(private readonly opts: FileCertificateOptions) {}

  /** Loads once (errors go to onError), then watches. */
  async start(): Promise<void> {
    const files = [this.opts.certFile, this.opts.keyFile].map((f) => path.resolve(f));
    for (const dir of new Set(files.map((f) => path.dirname(f)))) {
      const names = new Set(files.filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)));
      try {
        const w = watch(dir, (_event, filename) => {
          if (!filename || names.has(filename.toString())) this.schedule();
        });
        w.on('error', (err) => this.opts.onError(new Error(`watch ${dir}: ${err.message}`)));
        this.watchers.push(w);
      } catch (err) {
        this.opts.onError(new Error(`watch ${dir}: ${(err as Error).message}`));
      }
    }
    await this.reload();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    for (const w of this.watchers) w.close();
    this.watchers = [];
  }

  private schedule(): void {
    this.timer?.cancel();
    // Kept alive, as before: a reload is due.
    this.timer = (this.opts.clock ?? systemClock).setTimeout(() => void this.reload(), this.opts.debounceMs ?? 200, { keepAlive: true });
  }

  private async reload(): Promise<void> {
    try {
      const bundle = await loadCertificateFiles(this.opts.certFile, this.opts.keyFile);
      if (this.stopped || bundle.certPem === this.lastCertPem) return;
      this.lastCertPem = bundle.certPem;
      this.opts.onBundle(bundle);
    } catch (err) {
      if (!this.stopped) this.opts.onError(err as Error);
    }
  }
}
