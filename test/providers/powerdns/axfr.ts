// Reads a zone the way a secondary would: AXFR over TCP, decoded from wire bytes with
// dns-packet. It shares no code with the provider (no presentation-form parsing at all: TXT
// strings arrive as octets), so a quoting bug in the provider cannot hide in the check.
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { RecordSet, RRType } from '../../../src/model/index.js';
import { tcpFrame, tcpUnframe } from '../../support/wire.js';

const MODELLED = new Set<string>(['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'PTR', 'CAA']);

function text(a: dnsPacket.Answer): string {
  const d = (a as { data: unknown }).data;
  switch (a.type) {
    case 'TXT':
      // One value per record: its character strings joined, as globaldns keeps them.
      return Buffer.concat((Array.isArray(d) ? d : [d]).map((b) => (Buffer.isBuffer(b) ? b : Buffer.from(String(b))))).toString('utf8');
    case 'MX': {
      const mx = d as { preference: number; exchange: string };
      return `${mx.preference} ${mx.exchange.toLowerCase()}`;
    }
    case 'SRV': {
      const srv = d as { priority: number; weight: number; port: number; target: string };
      return `${srv.priority} ${srv.weight} ${srv.port} ${srv.target.toLowerCase()}`;
    }
    case 'CAA': {
      const caa = d as { flags: number; tag: string; value: string };
      return `${caa.flags} ${caa.tag} "${caa.value}"`;
    }
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return String(d).toLowerCase();
    default:
      return String(d);
  }
}

/** Every record of the zone, grouped into record sets (SOA included as type 'SOA' is not: skipped). */
export async function axfr(port: number, zone: string, timeoutMs = 10_000): Promise<RecordSet[]> {
  const query = dnsPacket.encode({ type: 'query', id: 4242, flags: 0, questions: [{ type: 'AXFR', name: zone, class: 'IN' }] });
  const answers: dnsPacket.Answer[] = await new Promise((resolve, reject) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    let buf: Buffer = Buffer.alloc(0);
    const got: dnsPacket.Answer[] = [];
    let soas = 0;
    const timer = setTimeout(() => done(new Error(`AXFR ${zone} @127.0.0.1:${port}: timed out after ${timeoutMs} ms`)), timeoutMs);
    const done = (err?: Error) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(got);
    };
    sock.on('connect', () => sock.write(tcpFrame(query)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const { messages, rest } = tcpUnframe(buf);
      buf = rest;
      for (const m of messages) {
        const p = dnsPacket.decode(m) as dnsPacket.Packet & { rcode?: string };
        if (p.rcode && p.rcode !== 'NOERROR') return done(new Error(`AXFR ${zone}: ${p.rcode}`));
        for (const a of p.answers ?? []) {
          if (a.type === 'SOA') soas++;
          got.push(a);
        }
        if (soas >= 2) return done();
      }
    });
    sock.on('error', (e) => done(new Error(`AXFR ${zone} @127.0.0.1:${port}: ${e.message}`)));
    sock.on('close', () => done(soas >= 2 ? undefined : new Error(`AXFR ${zone}: connection closed after ${soas} SOA`)));
  });
  const sets = new Map<string, RecordSet>();
  for (const a of answers) {
    if (!MODELLED.has(a.type)) continue;
    const name = a.name.toLowerCase().replace(/\.$/, '');
    const key = `${name} ${a.type}`;
    const set = sets.get(key) ?? { name, type: a.type as RRType, ttl: (a as { ttl?: number }).ttl ?? 0, values: [] };
    set.values.push(text(a));
    sets.set(key, set);
  }
  return [...sets.values()];
}
