/**
 * The names of one zone and their RRsets, with the bookkeeping that empty non-terminals need.
 *
 * Every name between an owner and the apex exists (RFC 4592 §2.2.2) even without data, and
 * stops existing when its last descendant goes. Each node counts its direct children so a
 * removal knows which ancestors to drop, without scanning the zone.
 *
 * Snapshots are immutable, yet a change to one name of a 100,000-name zone must not copy the
 * zone. So a tree is a large shared `base` map plus a small `overlay` of the names changed since
 * (null marks a removed name). `clone()` copies only the overlay; once the overlay grows past
 * about 2·√(base) it is folded into a new base, which keeps lookups at two map reads and the
 * cost of a change amortised O(√n).
 */
import type { RecordSet } from '../model/index.js';

/**
 * One RRset in wire form: `len` bytes at `at` in `slab` hold its `count` records, each as
 * RDLENGTH + RDATA. Offsets rather than a Buffer view per set: a view costs ~100 bytes, which
 * is a fifth of what a name costs in a large zone.
 */
export interface WireRRset {
  /** Owner name, canonical. '' in an answer means "the query name" (wildcards, CNAME heads). */
  name: string;
  type: number;
  ttl: number;
  slab: Buffer;
  at: number;
  len: number;
  count: number;
  /** For NS/MX/SRV/CNAME/PTR: target names, for additional-section addresses and chains. */
  targets?: string[];
  /**
   * The record set(s) it was encoded from (an array when one name had several sets of one
   * type); the next snapshot reuses it when unchanged. None for SOA, apex NS and synthesised data.
   */
  source?: RecordSet | readonly RecordSet[];
}

export interface ZoneNode {
  rrsets: readonly WireRRset[];
  /** Names directly below this one. */
  children: number;
}

/** Overlays smaller than this are never folded: folding costs a full copy of the base. */
const MIN_FOLD = 256;

export class ZoneTree {
  /**
   * Nodes this tree may change in place: every node of a fresh tree (`owned` undefined), and
   * only nodes it created itself after clone(); others are shared with older snapshots.
   */
  private readonly owned: Set<ZoneNode> | undefined;

  private constructor(
    readonly apex: string,
    private readonly base: Map<string, ZoneNode>,
    private readonly overlay: Map<string, ZoneNode | null>,
    fresh: boolean,
  ) {
    this.owned = fresh ? undefined : new Set();
  }

  static empty(apex: string): ZoneTree {
    return new ZoneTree(apex, new Map([[apex, { rrsets: [], children: 0 }]]), new Map(), true);
  }

  /** A tree to change for the next snapshot; this one stays as it is. */
  clone(): ZoneTree {
    // Each patch copies the overlay, each fold the base: an overlay of about 2·√n balances the
    // two (a 100,000-name zone folds every ~600 changes, a patch copies ~600 entries).
    if (this.overlay.size > Math.max(MIN_FOLD, 2 * Math.ceil(Math.sqrt(this.base.size)))) {
      const base = new Map(this.base);
      for (const [name, node] of this.overlay) {
        if (node === null) base.delete(name);
        else base.set(name, node);
      }
      return new ZoneTree(this.apex, base, new Map(), false);
    }
    return new ZoneTree(this.apex, this.base, new Map(this.overlay), false);
  }

  get(name: string): ZoneNode | undefined {
    if (this.overlay.size > 0) {
      const o = this.overlay.get(name);
      if (o !== undefined) return o ?? undefined;
    }
    return this.base.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every existing node, each once. */
  *nodes(): IterableIterator<ZoneNode> {
    for (const [name, node] of this.base) if (!this.overlay.has(name)) yield node;
    for (const node of this.overlay.values()) if (node !== null) yield node;
  }

  /** Replaces every RRset at `name`; an empty list removes the name's data. */
  set(name: string, rrsets: readonly WireRRset[]): void {
    const node = this.get(name);
    if (rrsets.length > 0) {
      if (node) this.put(name, node, rrsets, node.children);
      else {
        this.put(name, undefined, rrsets, 0);
        this.linkParent(name);
      }
      return;
    }
    if (!node) return;
    if (node.children > 0 || name === this.apex) this.put(name, node, [], node.children);
    else this.unlink(name);
  }

  /** Writes a node: in place when this tree owns it, else as a new node. */
  private put(name: string, node: ZoneNode | undefined, rrsets: readonly WireRRset[], children: number): void {
    if (node && (this.owned === undefined || this.owned.has(node))) {
      node.rrsets = rrsets;
      node.children = children;
      return;
    }
    const fresh: ZoneNode = { rrsets, children };
    if (this.owned) {
      this.owned.add(fresh);
      this.overlay.set(name, fresh);
    } else {
      this.base.set(name, fresh);
    }
  }

  private remove(name: string): void {
    if (this.owned) this.overlay.set(name, null);
    else this.base.delete(name);
  }

  private linkParent(name: string): void {
    let n = name;
    while (n !== this.apex) {
      const parent = parentOf(n);
      if (parent === undefined) return;
      const p = this.get(parent);
      if (p) {
        this.put(parent, p, p.rrsets, p.children + 1);
        return;
      }
      this.put(parent, undefined, [], 1); // a new empty non-terminal
      n = parent;
    }
  }

  /** Drops a childless, now empty name, and every ancestor that was only there for it. */
  private unlink(name: string): void {
    let n = name;
    this.remove(n);
    while (n !== this.apex) {
      const parent = parentOf(n);
      if (parent === undefined) return;
      const p = this.get(parent);
      if (!p) return;
      if (p.children === 1 && p.rrsets.length === 0 && parent !== this.apex) {
        this.remove(parent);
        n = parent;
        continue;
      }
      this.put(parent, p, p.rrsets, p.children - 1);
      return;
    }
  }
}

function parentOf(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot < 0 ? (name === '' ? undefined : '') : name.slice(dot + 1);
}

/** The record sets behind an RRset, as a list. */
export function sourcesOf(w: WireRRset): readonly RecordSet[] {
  const s = w.source;
  return s === undefined ? [] : isList(s) ? s : [s];
}

function isList(s: RecordSet | readonly RecordSet[]): s is readonly RecordSet[] {
  return Array.isArray(s);
}
