// The primary's certificate supervisor: turns the entries' `tls` settings into certificates in
// the CertificateStore, from files, Secrets or ACME, and keeps them fresh. Workers never run
// this; they apply what the store's onChange forwards to them.
//
// One source per entry: files (certFile + keyFile) win over secretName, which wins over acme.
// ACME issues one certificate per name, one order at a time, so one failing name never holds
// back another's certificate and the CA sees no bursts. A failed issuance or reload keeps
// serving the last good certificate and records the error in `status()`.
import cron, { type ScheduledTask } from 'node-cron';
import type { KubeConfig } from '@kubernetes/client-node';
import { every, systemClock, type Clock, type Logger } from '../../kernel/index.js';
import { CertificateStore } from './store.js';
import { bundleFromPem, normaliseName, readCertificate, type CertificateBundle } from './bundle.js';
import { FileCertificateWatcher } from './files.js';
import { parseSecretRef, TlsSecretReader, type SecretRef } from './secrets.js';
import { AcmeIssuer, AlpnChallengeResponder, FileAcmeStorage, HttpChallengeResponder, SecretAcmeStorage, renewalDue, type AcmeChallenges, type AcmeChallengeType, type AlpnChallenges, type AcmeStorage } from '../acme/index.js';

/** The `proxy.tls` settings of one entry. */
export interface EntryTls {
  /** cluster mode: a kubernetes.io/tls Secret, "name" (in the manager's namespace) or "namespace/name" */
  secretName?: string;
  /** standalone: PEM certificate (leaf first, then chain) and key files, reloaded on change */
  certFile?: string;
  keyFile?: string;
  /** get a certificate for the entry's host from the ACME CA (HTTP-01) */
  acme?: boolean;
}

export interface WantedCertificate {
  host: string;
  tls: EntryTls;
}

export interface AcmeSettings {
  /** ACME directory URL (Let's Encrypt: https://acme-v02.api.letsencrypt.org/directory) */
  directoryUrl: string;
  email?: string;
  /** trust these CAs for the ACME server's HTTPS (test CAs such as pebble) */
  caBundlePem?: string;
  /** renew this many days before expiry (default 30; short-lived certificates: at 1/3 of their lifetime left) */
  renewBeforeDays?: number;
  /** node-cron expression of the renewal check (default hourly, '17 * * * *') */
  schedule?: string;
  /** http-01 (default: the HTTP listener answers) or tls-alpn-01 (the HTTPS listener answers, see `alpnChallenges`) */
  challenge?: AcmeChallengeType;
}

export interface TlsManagerOptions {
  /** standalone: ACME account and certificates go under here */
  stateDir: string;
  store: CertificateStore;
  logger: Logger;
  acme?: AcmeSettings;
  /** cluster mode: the management cluster; Secrets are read there and ACME state is kept there */
  kube?: { kubeConfig: KubeConfig; namespace: string; secretPollMs?: number };
  /**
   * Whether this manager places ACME orders (default true). Cluster mode starts it false and
   * the leader election turns it on (`setOrdering`) in one replica; the others load the
   * certificates it stores in the shared Secrets.
   */
  ordering?: boolean;
  /**
   * Time (`now()`: whether a certificate is due for renewal) and the timers of the Secret polls
   * and the certificate files' debounce (default systemClock). The renewal check's schedule itself
   * is node-cron's, on the wall clock.
   */
  clock?: Clock;
  fileDebounceMs?: number;
}

export type CertificateSourceKind = 'file' | 'secret' | 'acme';

export interface CertificateStatus {
  hosts: string[];
  source: CertificateSourceKind;
  /** what: file paths, secret namespace/name, or the ACME host */
  ref: string;
  notAfter?: string;
  serial?: string;
  lastError?: string;
}

export interface RenewalResult {
  host: string;
  renewed: boolean;
  error?: string;
}

interface Source {
  key: string;
  kind: CertificateSourceKind;
  ref: string;
  hosts: Set<string>;
  bundle?: CertificateBundle;
  lastError?: string;
  stop?: () => void;
  file?: { certFile: string; keyFile: string };
  secret?: SecretRef;
}

export class TlsManager {
  readonly challenges: AcmeChallenges;
  /** TLS-ALPN-01 certificates while they are validated (the HTTPS listener's peek asks it) */
  readonly alpnChallenges: AlpnChallenges;
  private readonly responder = new HttpChallengeResponder();
  private readonly alpnResponder = new AlpnChallengeResponder();
  private readonly sources = new Map<string, Source>();
  private readonly issuer: AcmeIssuer | undefined;
  private readonly storage: AcmeStorage;
  private readonly secretReader: TlsSecretReader | undefined;
  private readonly clock: Clock;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly inQueue = new Map<string, Promise<RenewalResult>>();
  private cronTask: ScheduledTask | undefined;
  private started = false;
  private ordering: boolean;

  constructor(private readonly opts: TlsManagerOptions) {
    this.challenges = this.responder;
    this.alpnChallenges = this.alpnResponder;
    this.clock = opts.clock ?? systemClock;
    this.ordering = opts.ordering ?? true;
    this.storage = opts.kube ? new SecretAcmeStorage(opts.kube.kubeConfig, opts.kube.namespace) : new FileAcmeStorage(opts.stateDir);
    if (opts.kube) this.secretReader = new TlsSecretReader(opts.kube.kubeConfig);
    if (opts.acme) {
      if (opts.acme.schedule && !cron.validate(opts.acme.schedule)) throw new Error(`acme.schedule ${JSON.stringify(opts.acme.schedule)}: not a cron expression`);
      this.issuer = new AcmeIssuer({ ...opts.acme, storage: this.storage, challenges: this.responder, alpnChallenges: this.alpnResponder });
    }
  }

  /** The desired certificates (all entries, each time). Starts what is new, stops what is gone. */
  want(entries: WantedCertificate[]): void {
    const desired = new Map<string, Source>();
    for (const { host, tls } of entries) {
      const h = normaliseName(host);
      const src = this.describe(h, tls);
      if (!src) continue;
      const existing = desired.get(src.key);
      if (existing) existing.hosts.add(h);
      else desired.set(src.key, src);
    }
    const gone = [...this.sources.values()].filter((s) => !desired.has(s.key));
    const activations: Promise<void>[] = [];
    for (const [key, src] of desired) {
      const current = this.sources.get(key);
      if (current) {
        current.hosts = src.hosts;
        continue;
      }
      this.sources.set(key, src);
      if (this.started) activations.push(this.activate(src));
    }
    // Retire replaced sources only after their successors had a chance to load: withdraw()
    // leaves names a new bundle already serves, so a changed setting has no gap.
    for (const src of gone) this.sources.delete(src.key);
    void Promise.allSettled(activations).then(() => gone.forEach((src) => this.retire(src)));
  }

  /** Loads every source once (stored ACME certificates, files, Secrets), then keeps them fresh. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await Promise.all([...this.sources.values()].map((s) => this.activate(s)));
    if (this.issuer) {
      this.cronTask = cron.schedule(this.opts.acme?.schedule ?? '17 * * * *', () => void this.renewDue(), { noOverlap: true, name: 'globaldns-acme-renewal' });
    }
  }

  /** Stops watching and scheduling; waits for an issuance in flight to settle. */
  async stop(): Promise<void> {
    this.started = false;
    await this.cronTask?.stop();
    this.cronTask = undefined;
    for (const src of this.sources.values()) src.stop?.();
    await this.queue.catch(() => undefined);
  }

  /** Issues or renews the ACME certificates that are missing or due (what the schedule runs). */
  renewDue(): Promise<RenewalResult[]> {
    return this.renew(undefined, false);
  }

  /**
   * Turns ACME ordering on (this replica leads) or off (another one does). Turned on, it first
   * reads what the previous leader stored, then orders what is still missing or due.
   */
  setOrdering(on: boolean): void {
    if (this.ordering === on) return;
    this.ordering = on;
    this.opts.logger.info({ ordering: on }, on ? 'tls: placing ACME orders (leading)' : 'tls: not placing ACME orders (another replica leads)');
    if (!on || !this.started) return;
    const acme = [...this.sources.values()].filter((s) => s.kind === 'acme');
    void Promise.all(acme.map((s) => this.loadStored(s))).then(() => this.renewDue());
  }

  /**
   * Renews now: `hosts` (default every ACME name); `force` renews even certificates that are not
   * due. Resolves when those orders are done; a failure keeps the old certificate. Orders
   * nothing (resolves to []) while ordering is off: another replica leads.
   */
  renew(hosts?: string[], force = true): Promise<RenewalResult[]> {
    if (!this.ordering) return Promise.resolve([]);
    const wanted = hosts?.map(normaliseName);
    const jobs: Promise<RenewalResult>[] = [];
    for (const src of this.sources.values()) {
      if (src.kind !== 'acme') continue;
      const host = src.ref;
      if (wanted && !wanted.includes(host)) continue;
      if (!force && src.bundle && !this.isDue(src.bundle)) continue;
      jobs.push(this.enqueue(src));
    }
    return Promise.all(jobs);
  }

  /** Resolves when no ACME order is queued or running. */
  async idle(): Promise<void> {
    while (this.inQueue.size > 0) await Promise.allSettled([...this.inQueue.values()]);
  }

  status(): CertificateStatus[] {
    return [...this.sources.values()].map((s) => ({
      hosts: [...s.hosts],
      source: s.kind,
      ref: s.ref,
      notAfter: s.bundle?.notAfter,
      serial: s.bundle ? readCertificate(s.bundle.certPem).serial : undefined,
      lastError: s.lastError,
    }));
  }

  private describe(host: string, tls: EntryTls): Source | undefined {
    if (tls.certFile || tls.keyFile) {
      const ref = `${tls.certFile ?? '(no certFile)'} + ${tls.keyFile ?? '(no keyFile)'}`;
      const src: Source = { key: `file:${ref}`, kind: 'file', ref, hosts: new Set([host]) };
      if (tls.certFile && tls.keyFile) src.file = { certFile: tls.certFile, keyFile: tls.keyFile };
      else src.lastError = `${host}: proxy.tls needs both certFile and keyFile`;
      return src;
    }
    if (tls.secretName) {
      const src: Source = { key: `secret:${tls.secretName}`, kind: 'secret', ref: tls.secretName, hosts: new Set([host]) };
      try {
        src.secret = parseSecretRef(tls.secretName, this.opts.kube?.namespace ?? 'default');
        src.key = `secret:${src.secret.namespace}/${src.secret.name}`;
        src.ref = `${src.secret.namespace}/${src.secret.name}`;
      } catch (err) {
        src.lastError = (err as Error).message;
      }
      if (!this.opts.kube) src.lastError = `${host}: proxy.tls.secretName needs cluster mode (a management cluster); use certFile/keyFile in standalone mode`;
      return src;
    }
    if (tls.acme) return { key: `acme:${host}`, kind: 'acme', ref: host, hosts: new Set([host]) };
    return undefined;
  }

  private async activate(src: Source): Promise<void> {
    if (src.lastError) return this.fail(src, new Error(src.lastError)); // a setting that cannot work
    if (src.kind === 'file' && src.file) {
      const watcher = new FileCertificateWatcher({
        ...src.file,
        debounceMs: this.opts.fileDebounceMs,
        clock: this.clock,
        onBundle: (b) => this.apply(src, b),
        onError: (err) => this.fail(src, err),
      });
      src.stop = () => watcher.stop();
      await watcher.start();
    } else if (src.kind === 'secret' && src.secret && this.secretReader) {
      const reader = this.secretReader;
      const ref = src.secret;
      const poll = async (): Promise<void> => {
        try {
          const b = await reader.read(ref);
          if (b.certPem !== src.bundle?.certPem) this.apply(src, b);
          else src.lastError = undefined;
        } catch (err) {
          this.fail(src, err as Error);
        }
      };
      const polling = every(this.clock, this.opts.kube?.secretPollMs ?? 30_000, () => void poll());
      src.stop = () => polling.cancel();
      await poll();
    } else if (src.kind === 'acme') {
      await this.loadStored(src);
      if (this.ordering && (!src.bundle || this.isDue(src.bundle))) void this.enqueue(src);
      if (this.opts.kube) {
        // Another replica may renew into the shared Secret: pick its certificate up.
        const polling = every(this.clock, this.opts.kube.secretPollMs ?? 30_000, () => void this.loadStored(src));
        src.stop = () => polling.cancel();
      }
    }
  }

  private async loadStored(src: Source): Promise<void> {
    try {
      const stored = await this.storage.loadCertificate(src.ref);
      if (!stored || stored.certPem === src.bundle?.certPem) return;
      this.apply(src, bundleFromPem(stored.certPem, stored.keyPem, `stored certificate for ${src.ref} (${this.storage.where})`));
    } catch (err) {
      this.fail(src, err as Error);
    }
  }

  private enqueue(src: Source): Promise<RenewalResult> {
    const host = src.ref;
    const pending = this.inQueue.get(host);
    if (pending) return pending;
    const job = this.queue.then(() => this.issue(src)).finally(() => this.inQueue.delete(host));
    this.inQueue.set(host, job);
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async issue(src: Source): Promise<RenewalResult> {
    const host = src.ref;
    if (this.sources.get(src.key) !== src) return { host, renewed: false, error: 'no longer wanted' };
    if (!this.issuer) {
      const error = `${host}: proxy.tls.acme is set but ACME is not configured (proxy.acme.directoryUrl)`;
      this.fail(src, new Error(error));
      return { host, renewed: false, error };
    }
    try {
      const issued = await this.issuer.issue(host);
      const bundle = bundleFromPem(issued.certPem, issued.keyPem, `certificate issued for ${host}`);
      await this.storage.saveCertificate(host, issued);
      if (this.sources.get(src.key) !== src) return { host, renewed: false, error: 'no longer wanted' };
      this.apply(src, bundle);
      return { host, renewed: true };
    } catch (err) {
      this.fail(src, err as Error);
      return { host, renewed: false, error: (err as Error).message };
    }
  }

  private isDue(bundle: CertificateBundle): boolean {
    const facts = readCertificate(bundle.certPem);
    return renewalDue(facts, new Date(this.clock.now()), this.opts.acme?.renewBeforeDays ?? 30);
  }

  private apply(src: Source, bundle: CertificateBundle): void {
    try {
      this.opts.store.set(bundle);
    } catch (err) {
      this.fail(src, err as Error);
      return;
    }
    const previous = src.bundle;
    src.bundle = bundle;
    src.lastError = undefined;
    if (previous) this.withdraw(previous.names.filter((n) => !bundle.names.includes(n)), previous);
    const facts = readCertificate(bundle.certPem);
    this.opts.logger.info({ source: src.kind, ref: src.ref, names: bundle.names, serial: facts.serial, notAfter: bundle.notAfter }, 'tls: certificate loaded');
  }

  private fail(src: Source, err: Error): void {
    src.lastError = err.message;
    this.opts.logger.error({ source: src.kind, ref: src.ref, err: err.message, serving: src.bundle ? src.bundle.notAfter : 'nothing' }, 'tls: certificate not updated');
  }

  private retire(src: Source): void {
    src.stop?.();
    if (src.bundle) this.withdraw(src.bundle.names, src.bundle);
  }

  /** Removes names from the store only where this bundle still serves them. */
  private withdraw(names: string[], bundle: CertificateBundle): void {
    const mine = names.filter((n) => this.opts.store.lookup(n)?.certPem === bundle.certPem);
    if (mine.length > 0) this.opts.store.remove(mine);
  }
}
