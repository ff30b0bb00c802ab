// The certificates a listener serves, chosen by SNI. One instance per process (the primary's
// is fed by TlsManager, each worker's by IPC messages). A swap replaces one map entry: a
// handshake in progress keeps the context it already got, later handshakes get the new one,
// open connections are never touched, so no request is dropped.
import tls from 'node:tls';
import { normaliseName, type CertificateBundle } from './bundle.js';

export type CertificateChange = CertificateBundle | { removed: string[] };
type SniCallback = (err: Error | null, ctx?: tls.SecureContext) => void;

interface Slot {
  bundle: CertificateBundle;
  context: tls.SecureContext;
  /** order of `set`, so `all()` replays in the same order into a new worker */
  seq: number;
}

export class CertificateStore {
  private readonly byName = new Map<string, Slot>();
  private readonly listeners = new Set<(change: CertificateChange) => void>();
  private seq = 0;

  /**
   * Adds the bundle, or replaces whatever served its names. Throws (and changes nothing) when
   * the PEM does not make a TLS context.
   */
  set(bundle: CertificateBundle): void {
    let context: tls.SecureContext;
    try {
      context = tls.createSecureContext({ cert: bundle.certPem, key: bundle.keyPem });
    } catch (err) {
      throw new Error(`certificate for ${bundle.names.join(', ')}: ${(err as Error).message}`);
    }
    const slot: Slot = { bundle: { ...bundle, names: bundle.names.map(normaliseName) }, context, seq: ++this.seq };
    for (const name of slot.bundle.names) this.byName.set(name, slot);
    this.emit(slot.bundle);
  }

  remove(names: string[]): void {
    const removed = names.map(normaliseName).filter((n) => this.byName.delete(n));
    if (removed.length > 0) this.emit({ removed });
  }

  /** Every bundle still serving at least one name, in the order they were set. */
  all(): CertificateBundle[] {
    const slots = [...new Set(this.byName.values())].sort((a, b) => a.seq - b.seq);
    return slots.map((s) => s.bundle);
  }

  /** The bundle serving `servername`: exact name first, then `*.` + parent. */
  lookup(servername: string): CertificateBundle | undefined {
    return this.slotFor(servername)?.bundle;
  }

  has(servername: string): boolean {
    return this.slotFor(servername) !== undefined;
  }

  /** The TLS context for `servername`, for callers that pick contexts themselves. */
  secureContext(servername: string): tls.SecureContext | undefined {
    return this.slotFor(servername)?.context;
  }

  /** For `tls.createServer({ SNICallback })` / `http2.createSecureServer`. */
  readonly sniCallback = (servername: string, cb: SniCallback): void => {
    const slot = this.slotFor(servername);
    if (slot) cb(null, slot.context);
    // An error aborts the handshake with an alert: better than serving a certificate for
    // another name, which a browser would show as a security warning anyway.
    else cb(new Error(`no certificate for ${servername ? `"${servername}"` : 'a client without SNI'}`));
  };

  /** Called after every set/remove; returns the unsubscribe function. */
  onChange(listener: (change: CertificateChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private slotFor(servername: string): Slot | undefined {
    if (!servername) return undefined;
    const name = normaliseName(servername);
    const exact = this.byName.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    return dot > 0 ? this.byName.get(`*${name.slice(dot)}`) : undefined;
  }

  private emit(change: CertificateChange): void {
    for (const listener of this.listeners) listener(change);
  }
}
