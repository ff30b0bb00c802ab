/**
 * Prebuilt wire answers keyed by (canonical name, qtype, EDNS mode), for class IN only (the
 * responder refuses other classes before it looks here). Each entry holds one or
 * more variants (rotations of the address RRset); a hit costs one map lookup and a copy.
 * Entries are dropped per zone when the zone is swapped, and all at once when the cache is full
 * (a flood of random names then costs a rebuild, never unbounded memory).
 */

export const enum EdnsMode {
  None = 0,
  Edns = 1,
  EdnsDo = 2,
}

export interface CachedAnswer {
  variants: Buffer[];
  next: number;
}

export class AnswerCache {
  private readonly byName = new Map<string, Map<number, CachedAnswer>>();
  private readonly namesByZone = new Map<string, Set<string>>();

  constructor(private readonly maxNames = 250_000) {}

  get(name: string, qtype: number, mode: EdnsMode): CachedAnswer | undefined {
    return this.byName.get(name)?.get(qtype * 4 + mode);
  }

  set(apex: string, name: string, qtype: number, mode: EdnsMode, answer: CachedAnswer): void {
    let perName = this.byName.get(name);
    if (!perName) {
      if (this.byName.size >= this.maxNames) this.clear();
      perName = new Map();
      this.byName.set(name, perName);
      let names = this.namesByZone.get(apex);
      if (!names) this.namesByZone.set(apex, names = new Set());
      names.add(name);
    }
    perName.set(qtype * 4 + mode, answer);
  }

  clearZone(apex: string): void {
    const names = this.namesByZone.get(apex);
    if (!names) return;
    for (const n of names) this.byName.delete(n);
    this.namesByZone.delete(apex);
  }

  clear(): void {
    this.byName.clear();
    this.namesByZone.clear();
  }

  get size(): number {
    return this.byName.size;
  }
}
