import test from 'ava';
import { groupRecordLines, parseRecordLine } from '../../src/config/index.js';

const apex = 'example.test';

test('owner forms: relative, @, absolute, wildcard', (t) => {
  t.is(parseRecordLine('www A 192.0.2.1', apex).name, 'www.example.test');
  t.is(parseRecordLine('@ A 192.0.2.1', apex).name, 'example.test');
  t.is(parseRecordLine('Host.Example.Test. A 192.0.2.1', apex).name, 'host.example.test');
  t.is(parseRecordLine('*.apps A 192.0.2.1', apex).name, '*.apps.example.test');
});

test('ttl and class are optional and may come in either order', (t) => {
  t.deepEqual(parseRecordLine('www A 192.0.2.1', apex), { name: 'www.example.test', type: 'A', ttl: 300, value: '192.0.2.1' });
  t.is(parseRecordLine('www 60 IN A 192.0.2.1', apex).ttl, 60);
  t.is(parseRecordLine('www IN 61 A 192.0.2.1', apex).ttl, 61);
  t.is(parseRecordLine('www in 62 a 192.0.2.1', apex).type, 'A');
});

test('rdata of each type in presentation form', (t) => {
  const v = (line: string) => parseRecordLine(line, apex).value;
  t.is(v('www AAAA 2001:DB8::1'), '2001:db8::1');
  t.is(v('www CNAME shop'), 'shop.example.test');
  t.is(v('www CNAME shop.other.test.'), 'shop.other.test');
  t.is(v('sub NS ns.sub'), 'ns.sub.example.test');
  t.is(v('1 PTR host.example.test.'), 'host.example.test');
  t.is(v('@ MX 10 mail'), '10 mail.example.test');
  t.is(v('_https._tcp SRV 0 5 443 web'), '0 5 443 web.example.test');
  t.is(v('@ CAA 0 issue "letsencrypt.org"'), '0 issue "letsencrypt.org"');
  t.is(v('@ TXT "v=spf1 -all"'), 'v=spf1 -all');
  t.is(v('@ TXT "say \\"hi\\"" " there"'), 'say "hi" there');
  t.is(v('@ TXT plain'), 'plain');
  t.is(v('@ TXT "a;b" ; a comment'), 'a;b');
});

test('bad lines say what is wrong', (t) => {
  const err = (line: string) => t.throws(() => parseRecordLine(line, apex))?.message;
  t.is(err('www A 2001:db8::1'), 'A data must be an IPv4 address, got "2001:db8::1"');
  t.is(err('www AAAA 192.0.2.1'), 'AAAA data must be an IPv6 address, got "192.0.2.1"');
  t.is(err('www A'), 'expected "owner [ttl] [IN] type rdata", got "www A"');
  t.is(err('www 300 IN A'), 'missing A data');
  t.is(err('www HINFO a b'), 'unsupported record type "HINFO" (supported: A, AAAA, CNAME, TXT, MX, NS, SRV, PTR, CAA)');
  t.is(err('www CH TXT x'), 'class CH is not supported, only IN');
  t.is(err('www MX 70000 mail'), 'MX preference must be an integer 0..65535, got "70000"');
  t.is(err('www CNAME a b'), 'CNAME data must be "target name", got "a b"');
  t.is(err('bad_-.x! A 192.0.2.1'), 'not a valid owner name "bad_-.x!"');
  t.is(err('www TXT "open'), 'unterminated quoted string');
  t.is(err('www CAA 0 is-sue x'), 'CAA tag must be 1-15 letters or digits, got "is-sue"');
});

test('lines group into record sets with the smallest TTL and no duplicate values', (t) => {
  const lines = ['a 60 A 192.0.2.1', 'a 30 A 192.0.2.2', 'a A 192.0.2.1', 'a AAAA ::1'].map((l) => parseRecordLine(l, apex));
  t.deepEqual(groupRecordLines(lines), [
    { name: 'a.example.test', type: 'A', ttl: 30, values: ['192.0.2.1', '192.0.2.2'] },
    { name: 'a.example.test', type: 'AAAA', ttl: 300, values: ['::1'] },
  ]);
});
