// The rdata fields both the embedded server and the RFC 2136 provider encode: names canonical,
// long TXT split, clear errors, and the one rule they differ in (root targets).
import test from 'ava';
import { rdataFields, RdataError } from '../../src/model/index.js';

const SERVER = { rootTarget: true };
const RFC2136 = { rootTarget: false };

test('names come out lower case without the trailing dot; MX and SRV fields are numbers', (t) => {
  t.is(rdataFields('CNAME', ' Target.Example.ORG. ', RFC2136), 'target.example.org');
  t.deepEqual(rdataFields('MX', '10 Mail.Example.org.', SERVER), { preference: 10, exchange: 'mail.example.org' });
  t.deepEqual(rdataFields('SRV', '0 5 443 Web.example.org', SERVER), { priority: 0, weight: 5, port: 443, target: 'web.example.org' });
  t.deepEqual(rdataFields('CAA', '0 issue "letsencrypt.org"', SERVER), { flags: 0, tag: 'issue', value: 'letsencrypt.org' });
});

test('TXT is split into character strings of at most 255 octets; empty text is one empty string', (t) => {
  const parts = rdataFields('TXT', 'é'.repeat(200), SERVER) as Buffer[];
  t.deepEqual(parts.map((p) => p.length), [255, 145]);
  t.is(Buffer.concat(parts).toString('utf8'), 'é'.repeat(200));
  t.deepEqual(rdataFields('TXT', '', SERVER), [Buffer.alloc(0)]);
});

test('a root target (null MX) is served by the embedded server and refused for RFC 2136', (t) => {
  t.deepEqual(rdataFields('MX', '0 .', SERVER), { preference: 0, exchange: '' });
  const err = t.throws(() => rdataFields('MX', '0 .', RFC2136), { instanceOf: RdataError });
  t.is(err?.message, 'MX value "0 .": not a valid domain name');
});

test('errors name the type, the value and what is wrong', (t) => {
  const message = (type: Parameters<typeof rdataFields>[0], value: string) => t.throws(() => rdataFields(type, value, SERVER), { instanceOf: RdataError })?.message;
  t.is(message('A', '2001:db8::1'), 'A value "2001:db8::1": not an IPv4 address');
  t.is(message('AAAA', '192.0.2.1'), 'AAAA value "192.0.2.1": not an IPv6 address');
  t.is(message('MX', '70000 mail.example.org'), 'MX value "70000 mail.example.org": 70000 is not 0..65535');
  t.is(message('SRV', '0 5 web'), 'SRV value "0 5 web": expected "<priority> <weight> <port> <target>"');
  t.is(message('CNAME', 'a..example.org'), 'CNAME value "a..example.org": not a valid domain name');
  t.is(message('NS', `${'x'.repeat(64)}.example.org`), `NS value "${'x'.repeat(64)}.example.org": not a valid domain name`);
  t.is(message('CAA', '256 issue "ca.example"'), 'CAA value "256 issue \\"ca.example\\"": flags must be 0..255');
});
