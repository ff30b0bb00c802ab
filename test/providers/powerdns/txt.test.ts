// TXT values survive the trip through PowerDNS's presentation form exactly: quotes,
// backslashes, spaces, '=', '/', tabs, UTF-8, values past 255 octets (split into several
// character strings, one value again when read). Checked three ways: the provider's own
// read, an AXFR decoded from wire bytes, and dig.
import test from 'ava';
import { PowerDnsProvider, quotePdnsTxt, unquotePdnsTxt } from '../../../providers/index.js';
import { dig } from '../../support/dig.js';
import { startPdns, type Pdns } from '../../support/pdns.js';
import { axfr } from './axfr.js';
import { EMPTY, freshZone, logOnFailure } from './fixture.js';

let pdns: Pdns | undefined;
test.before(async () => {
  pdns = await startPdns({ zones: [] });
});
test.after.always(async () => {
  await pdns?.stop();
});
test.afterEach.always((t) => logOnFailure(t, pdns));

const provider = (p: Pdns) => new PowerDnsProvider({ url: p.url, apiKey: p.apiKey });

const VALUES: Record<string, string> = {
  ownership: 'heritage=globaldns,globaldns/owner=contract,globaldns/resource=ingress/default/www "quoted" text',
  escapes: 'back\\slash, "double" and \\"both\\"',
  utf8: 'café ☃ ünïcode',
  // The 255-octet split falls inside 'é' (2 octets): the strings must join back byte for byte.
  long: 'a'.repeat(254) + 'é' + 'b'.repeat(40),
  spaces: '  padded with spaces  ',
  controls: 'tab\there; semi;colon (parens) $dollar @at',
  empty: '',
};

test.serial('every kind of TXT text reads back exactly: provider, AXFR and dig agree', async (t) => {
  const p = pdns!;
  const zone = await freshZone(p, 'txt');
  const prov = provider(p);
  const sets = Object.entries(VALUES).map(([label, value]) => ({ name: `${label}.${zone.name}`, type: 'TXT' as const, ttl: 300, values: [value] }));
  const multi = { name: `multi.${zone.name}`, type: 'TXT' as const, ttl: 300, values: ['first value', 'second "value"', 'v=spf1 -all'] };
  const result = await prov.apply(zone, { ...EMPTY, creates: [...sets, multi] });
  t.is(result.failed, 0, JSON.stringify(result.results.filter((r) => !r.ok)));

  const mine = await prov.records(zone);
  const wire = await axfr(p.dnsPort, zone.name);
  for (const s of [...sets, multi]) {
    t.deepEqual(mine.find((r) => r.name === s.name && r.type === 'TXT')?.values.sort(), [...s.values].sort(), `provider reads ${s.name}`);
    t.deepEqual(wire.find((r) => r.name === s.name && r.type === 'TXT')?.values.sort(), [...s.values].sort(), `AXFR serves ${s.name}`);
  }
  // dig prints the served record in presentation form: the long value as two strings.
  const answer = await dig({ port: p.dnsPort, name: `long.${zone.name}`, type: 'TXT' });
  t.is(answer.status, 'NOERROR');
  t.is(answer.answer.length, 1);
  t.regex(answer.answer[0].data, /^"a{254}\\195" "\\169b{40}"$/, 'split at 255 octets, decimal escapes');
  const own = await dig({ port: p.dnsPort, name: `ownership.${zone.name}`, type: 'TXT' });
  t.is(own.answer[0]?.data, '"heritage=globaldns,globaldns/owner=contract,globaldns/resource=ingress/default/www \\"quoted\\" text"');
});

test.serial('TXT written by other tools in other presentation forms reads as the same text', async (t) => {
  const p = pdns!;
  const zone = await freshZone(p, 'foreign-txt');
  const seeded = await p.api('PATCH', `/zones/${zone.id}`, {
    rrsets: [
      { name: `raw.${zone.id}`, type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: '"café"', disabled: false }] },
      { name: `escaped.${zone.id}`, type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: '"caf\\195\\169"', disabled: false }] },
      { name: `split.${zone.id}`, type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: '"two " "strings"', disabled: false }] },
      { name: `Upper.${zone.id}`, type: 'TXT', ttl: 300, changetype: 'REPLACE', records: [{ content: '"\\065\\066C"', disabled: false }] },
    ],
  });
  t.is(seeded.status, 204, seeded.body);
  const read = await provider(p).records(zone);
  const value = (label: string) => read.find((r) => r.name === `${label}.${zone.name}` && r.type === 'TXT')?.values;
  t.deepEqual(value('raw'), ['café']);
  t.deepEqual(value('escaped'), ['café'], '\\DDD is decimal in PowerDNS presentation form');
  t.deepEqual(value('split'), ['two strings'], 'character strings join into one value');
  t.deepEqual(value('upper'), ['ABC'], 'names are read in lower case; \\065 is A');
});

test.serial('quoting table: what the provider sends for a value', (t) => {
  t.is(quotePdnsTxt('plain'), '"plain"');
  t.is(quotePdnsTxt('a"b\\c'), '"a\\"b\\\\c"');
  t.is(quotePdnsTxt('é'), '"\\195\\169"');
  t.is(quotePdnsTxt(''), '""');
  t.is(quotePdnsTxt('x'.repeat(256)), `"${'x'.repeat(255)}" "x"`);
  t.is(unquotePdnsTxt(quotePdnsTxt('tab\tnew\nline')), 'tab\tnew\nline');
  t.is(unquotePdnsTxt('"\\065"'), 'A', 'decimal, not octal');
  t.is(unquotePdnsTxt('"a\\"b"'), 'a"b');
});
