import { systemClock } from '../../src/kernel/index.js';
import type { Clock } from '../../src/kernel/index.js';
import { normalizeName } from '../../src/model/index.js';
import type { Plan, RecordSet } from '../../src/model/index.js';
import { applyResult, planChanges, ZoneNotListableError, type ApplyResult, type ChangeResult, type DnsProvider, type ProviderCallObserver, type Zone } from '../provider.js';
import { DnsClient, explainRcode, Rfc2136Error } from './client.js';
import { decodeRdata, modelType } from './rdata.js';
import { parseServer, type ServerAddress } from './transport.js';
import { parseTsigSecret, type TsigAlgorithm, type TsigKey } from './tsig.js';
import { changeUnit, upsertUnits, type Unit } from './units.js';
import { CLASS, encodeMessage, OPCODE, rcodeName, TYPE, type MessageView } from './wire.js';

export interface Rfc2136ProviderOptions {
  /** Provider name in errors and the observer (default 'rfc2136'). */
  name?: string;
  /** The zones it writes ('example.org'). */
  zones: readonly string[];
  /** Only zones at, below or above these domains. */
  domainFilters?: readonly string[];
  /** 'host', 'host:port', '[v6]:port' (port 53 by default): the primary first, the rest tried in order when one cannot be reached. */
  servers: readonly string[];
  /** TSIG key; requests are unsigned without one (servers that allow updates by address). */
  tsig?: { name: string; algorithm?: TsigAlgorithm; secret: string };
  /** Wait for a reply (per server, per TCP read); default 5000 ms. */
  timeoutMs?: number;
  /** false: never try AXFR; `records()` throws ZoneNotListableError and plans are applied upsert-only. Default true. */
  transfer?: boolean;
  /** Most octets of prerequisites and updates in one UPDATE message (default 60,000: TCP carries 65,535 with header and TSIG). */
  maxMessageBytes?: number;
  /** The reply timeout over UDP (default systemClock). */
  clock?: Clock;
  /** milliseconds since the epoch, for TSIG times (default: the clock's `now()`, wall time on systemClock) */
  now?: () => number;
  observe?: ProviderCallObserver;
}

/** Replies that blame one change of a message: split the message to find it. */
const BLAMES_A_CHANGE = new Set(['YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NXDOMAIN', 'NOTZONE', 'FORMERR']);

/** What a failed prerequisite means, in words for the user. */
const PREREQUISITE: Record<string, string> = {
  YXRRSET: 'YXRRSET: the record set already exists',
  YXDOMAIN: 'YXDOMAIN: the name already holds other records',
  NXRRSET: 'NXRRSET: the record set does not hold the values read',
  NXDOMAIN: 'NXDOMAIN: the name does not exist',
};
const CHANGED = 'changed by someone else since it was read';

function keyNotAllowed(what: 'update' | 'transfer'): string {
  return `NOTAUTH (BADKEY for a key the server accepts on queries: the key may not ${what} the zone)`;
}

function matchesDomain(zone: string, filters: readonly string[]): boolean {
  return filters.some((raw) => {
    const f = normalizeName(raw);
    return zone === f || zone.endsWith('.' + f) || f.endsWith('.' + zone);
  });
}

/**
 * Writes record sets to a primary server with DNS UPDATE (RFC 2136) signed with TSIG
 * (RFC 8945), and reads zones with AXFR. See README.md.
 */
export class Rfc2136Provider implements DnsProvider {
  readonly name: string;
  private readonly client: DnsClient;
  private readonly servers: ServerAddress[];
  private readonly label: string;
  private readonly maxMessageBytes: number;
  /** Zones whose transfer was refused: applied upsert-only. */
  private readonly notListable = new Set<string>();

  constructor(private readonly o: Rfc2136ProviderOptions) {
    this.name = o.name ?? 'rfc2136';
    this.label = this.name === 'rfc2136' ? 'rfc2136' : `rfc2136 ${this.name}`;
    if (o.zones.length === 0) throw new Error(`${this.label}: zones: at least one zone`);
    if (o.servers.length === 0) throw new Error(`${this.label}: servers: at least one server`);
    this.servers = o.servers.map((s) => parseServer(s));
    let key: TsigKey | undefined;
    if (o.tsig) {
      let secret: Buffer;
      try {
        secret = parseTsigSecret(o.tsig.secret);
      } catch (e) {
        throw new Error(`${this.label}: tsig-secret of key ${o.tsig.name}: ${(e as Error).message}`);
      }
      key = { name: o.tsig.name, algorithm: o.tsig.algorithm ?? 'hmac-sha256', secret };
    }
    this.maxMessageBytes = o.maxMessageBytes ?? 60_000;
    if (!(this.maxMessageBytes >= 512 && this.maxMessageBytes <= 65_000)) throw new Error(`${this.label}: maxMessageBytes must be 512..65000`);
    const timeoutMs = o.timeoutMs ?? 5000;
    if (!(timeoutMs > 0)) throw new Error(`${this.label}: timeoutMs must be positive`);
    const clock = o.clock ?? systemClock;
    this.client = new DnsClient({ label: this.label, provider: this.name, servers: this.servers, key, timeoutMs, clock, now: o.now ?? (() => clock.now()), observe: o.observe });
  }

  /** The configured zones (after domain filters); no request is sent. */
  async zones(): Promise<Zone[]> {
    const names = [...new Set(this.o.zones.map(normalizeName))];
    return names
      .filter((z) => this.o.domainFilters === undefined || this.o.domainFilters.length === 0 || matchesDomain(z, this.o.domainFilters))
      .sort()
      .map((name) => ({ id: name, name }));
  }

  /**
   * The zone by AXFR (signed, every signed reply verified). A transfer the server refuses
   * (REFUSED, NOTAUTH without a TSIG error) or one disabled by `transfer: false` throws
   * ZoneNotListableError: the zone is then written upsert-only. `signal` closes the transfer.
   */
  async records(zone: Zone, signal?: AbortSignal): Promise<RecordSet[]> {
    if (this.o.transfer === false) {
      this.notListable.add(zone.name);
      throw new ZoneNotListableError(`${this.label}: AXFR ${zone.name}: zone transfers are off (transfer: false); written upsert-only, nothing is deleted`);
    }
    const sets = new Map<string, RecordSet>();
    let soas = 0;
    let rrs = 0;
    const collect = (message: Buffer, view: MessageView): 'more' | 'done' => {
      for (const rr of view.records) {
        if (rr.section !== 'answer') continue;
        rrs++;
        if (rr.type === TYPE.SOA) {
          // AXFR opens with the SOA and closes with it again.
          if (++soas === 2) return 'done';
          continue;
        }
        if (rrs === 1) throw new Rfc2136Error(`${this.label}: AXFR ${zone.name}: the transfer does not start with the SOA`, 'FORMERR');
        const type = modelType(rr.type);
        if (type === undefined || rr.class !== CLASS.IN) continue;
        const key = `${rr.name}\u0000${type}`;
        const value = decodeRdata(type, message, rr.rdataStart);
        const set = sets.get(key);
        if (set) {
          if (!set.values.includes(value)) set.values.push(value);
        } else sets.set(key, { name: rr.name, type, ttl: rr.ttl, values: [value] });
      }
      return 'more';
    };
    let reply;
    try {
      reply = await this.client.request('AXFR', `AXFR ${zone.name}`, (id) => encodeMessage({ id, opcode: OPCODE.QUERY, question: [{ name: zone.name, type: TYPE.AXFR, class: CLASS.IN }] }), collect, signal);
    } catch (e) {
      if (e instanceof Rfc2136Error && e.code === 'BADKEY' && (await this.keyWorks(zone, signal))) {
        this.notListable.add(zone.name);
        throw new ZoneNotListableError(`${this.label} ${e.server}: AXFR ${zone.name}: ${keyNotAllowed('transfer')}; written upsert-only, nothing is deleted`);
      }
      throw e;
    }
    const rcode = rcodeName(reply.view.rcode);
    if (rcode === 'REFUSED' || rcode === 'NOTAUTH') {
      this.notListable.add(zone.name);
      throw new ZoneNotListableError(`${this.label} ${reply.server.label}: AXFR ${zone.name}: ${explainRcode(rcode, 'AXFR')}${reply.unsigned ? ' (unsigned reply)' : ''}; written upsert-only, nothing is deleted`);
    }
    if (rcode !== 'NOERROR') throw new Rfc2136Error(`${this.label} ${reply.server.label}: AXFR ${zone.name}: ${explainRcode(rcode, 'AXFR')}`, rcode, rcode);
    if (soas < 2) throw new Rfc2136Error(`${this.label} ${reply.server.label}: AXFR ${zone.name}: the transfer ended without its closing SOA`, 'FORMERR');
    this.notListable.delete(zone.name);
    return [...sets.values()];
  }

  /**
   * The plan as UPDATE messages: deletes, then updates, then creates, as many changes per
   * message as fit; a message the server refuses because of one change's prerequisite or
   * data is split in halves until that change stands alone, so the others still apply. Once
   * `signal` aborts, the message in flight is abandoned (its socket closed) and the changes
   * not applied fail with `... aborted: the controller stopped`.
   */
  async apply(zone: Zone, plan: Plan, signal?: AbortSignal): Promise<ApplyResult> {
    const changes = planChanges(plan);
    const results: ChangeResult[] = changes.map((change) => ({ change, ok: false }));
    const units: Unit[] = [];
    const fail = (index: number, error: string) => (results[index] = { change: changes[index], ok: false, error });
    const upsertOnly = this.notListable.has(zone.name);
    const creates: { index: number; record: RecordSet }[] = [];
    for (const [index, change] of changes.entries()) {
      if (upsertOnly && change.action === 'create') {
        creates.push({ index, record: change.record });
        continue;
      }
      try {
        units.push(changeUnit(index, change, zone.name));
      } catch (e) {
        fail(index, `${this.label}: ${(e as Error).message}`);
      }
    }
    if (creates.length > 0) {
      const made = upsertUnits(creates, zone.name);
      units.push(...made.units);
      for (const e of made.errors) fail(e.index, `${this.label}: ${e.error}`);
    }
    for (const u of units) {
      if (u.size > this.maxMessageBytes) { for (const i of u.indexes) fail(i, `${this.label}: ${u.what}: larger than one UPDATE message may be (${u.size} octets)`); }
    }
    const state: SendState = { results, changes, fatal: undefined, replaces: [], signal };
    for (const phase of [0, 1, 2] as const) {
      const inPhase = units.filter((u) => u.phase === phase && u.size <= this.maxMessageBytes).sort((a, b) => a.indexes[0] - b.indexes[0]);
      for (const batch of this.pack(inPhase)) await this.send(zone, batch, state, true);
      const replaces = state.replaces.splice(0);
      for (const batch of this.pack(replaces)) await this.send(zone, batch, state, false);
    }
    return applyResult(results);
  }

  /**
   * Knot answers NOTAUTH/BADKEY both for a key it does not know and for a known key its ACL
   * does not allow. A signed SOA query tells them apart: a known key gets a signed answer.
   */
  private async keyWorks(zone: Zone, signal: AbortSignal | undefined): Promise<boolean> {
    try {
      const reply = await this.client.request('QUERY', `SOA ${zone.name}`, (id) => encodeMessage({ id, opcode: OPCODE.QUERY, question: [{ name: zone.name, type: TYPE.SOA, class: CLASS.IN }] }), undefined, signal);
      return reply.view.rcode === 0 && !reply.unsigned;
    } catch {
      return false;
    }
  }

  /** Greedy batches of at most maxMessageBytes. */
  private pack(units: Unit[]): Unit[][] {
    const batches: Unit[][] = [];
    let current: Unit[] = [];
    let size = 0;
    for (const u of units) {
      if (current.length > 0 && size + u.size > this.maxMessageBytes) {
        batches.push(current);
        current = [];
        size = 0;
      }
      current.push(u);
      size += u.size;
    }
    if (current.length > 0) batches.push(current);
    return batches;
  }

  private async send(zone: Zone, batch: Unit[], state: SendState, mayReplace: boolean): Promise<void> {
    const mark = (ok: boolean, error?: string) => {
      for (const u of batch) for (const i of u.indexes) state.results[i] = ok ? { change: state.changes[i], ok: true } : { change: state.changes[i], ok: false, error };
    };
    // After an error no later message can fare better (unreachable, bad key, refused).
    if (state.fatal !== undefined) return mark(false, state.fatal);
    const what = batch.length === 1 ? `UPDATE ${zone.name}: ${batch[0].what}` : `UPDATE ${zone.name} (${batch.reduce((n, u) => n + u.indexes.length, 0)} changes)`;
    let reply;
    try {
      reply = await this.client.request(
        'UPDATE',
        what,
        (id) =>
          encodeMessage({
            id,
            opcode: OPCODE.UPDATE,
            question: [{ name: zone.name, type: TYPE.SOA, class: CLASS.IN }],
            answer: batch.flatMap((u) => u.prereqs),
            authority: batch.flatMap((u) => u.updates),
          }),
        undefined,
        state.signal,
      );
    } catch (e) {
      // An abort is fatal too: no later message is sent.
      state.fatal = (e as Error).message;
      if (e instanceof Rfc2136Error && e.code === 'BADKEY' && (await this.keyWorks(zone, state.signal))) state.fatal = `${this.label} ${e.server}: UPDATE ${zone.name}: ${keyNotAllowed('update')}`;
      return mark(false, state.fatal);
    }
    const rcode = rcodeName(reply.view.rcode);
    if (rcode === 'NOERROR') return mark(true);
    if (BLAMES_A_CHANGE.has(rcode) && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await this.send(zone, batch.slice(0, half), state, mayReplace);
      await this.send(zone, batch.slice(half), state, mayReplace);
      return;
    }
    const prefix = `${this.label} ${reply.server.label}: UPDATE ${zone.name}: ${batch.length === 1 ? `${batch[0].what}: ` : ''}`;
    const unit = batch[0];
    if (batch.length === 1 && mayReplace && unit.replace && (rcode === 'YXRRSET' || rcode === 'YXDOMAIN')) {
      // Upsert-only: the set is there; replace it only if our ownership record proves it ours.
      state.replaces.push({ ...unit.replace, replaceGuard: unit.replaceGuard });
      return;
    }
    if (PREREQUISITE[rcode]) {
      const guard = !mayReplace && unit.replaceGuard ? `not overwritten: ${unit.replaceGuard} (${rcode})` : `${PREREQUISITE[rcode]}: ${CHANGED}`;
      return mark(false, prefix + guard);
    }
    const error = prefix + explainRcode(rcode, 'UPDATE') + (reply.unsigned ? ' (unsigned reply)' : '');
    if (!BLAMES_A_CHANGE.has(rcode)) state.fatal = error;
    mark(false, error);
  }
}

interface SendState {
  results: ChangeResult[];
  changes: ReturnType<typeof planChanges>;
  /** an error every later message would meet too */
  fatal: string | undefined;
  /** upsert-only replaces to send after the phase's creates */
  replaces: Unit[];
  /** the caller's: aborts the message in flight, and its error ends the apply */
  signal: AbortSignal | undefined;
}
