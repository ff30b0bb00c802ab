// Forwarding headers: Host kept, hop-by-hop dropped, X-Forwarded-* / Forwarded set, and
// incoming ones kept only from trusted proxies.
import test from 'ava';
import { parseCidr } from '../../src/config/index.js';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../src/proxy/index.js';

const client = { address: '203.0.113.7', trusted: false, forwardedFor: '203.0.113.7' };
const trustedPeer = { address: '10.0.0.5', trusted: true, forwardedFor: '10.0.0.5' };

function asObject(flat: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (let i = 0; i < flat.length; i += 2) (out[flat[i].toLowerCase()] ??= []).push(flat[i + 1]);
  return out;
}

const incoming = [
  'Host',
  'shop.example.test:8080',
  'Connection',
  'keep-alive, X-Secret-Hop',
  'X-Secret-Hop',
  'drop me',
  'Keep-Alive',
  'timeout=5',
  'TE',
  'trailers',
  'Accept',
  'text/html',
  'X-Forwarded-For',
  '198.51.100.1',
  'X-Forwarded-Proto',
  'https',
  'X-Forwarded-Host',
  'outer.example.test',
  'Forwarded',
  'for=198.51.100.1;proto=https',
];

test('from an untrusted client: hop-by-hop headers dropped, forwarding headers replaced, Host kept', (t) => {
  const h = asObject(upstreamRequestHeaders(incoming, 'shop.example.test:8080', 'http', client));
  t.deepEqual(h, {
    accept: ['text/html'],
    host: ['shop.example.test:8080'],
    'x-forwarded-for': ['203.0.113.7'],
    'x-forwarded-proto': ['http'],
    'x-forwarded-host': ['shop.example.test:8080'],
    forwarded: ['for=203.0.113.7;host="shop.example.test:8080";proto=http'],
  });
});

test('from a trusted proxy: incoming forwarding headers are kept and appended to', (t) => {
  const h = asObject(upstreamRequestHeaders(incoming, 'shop.example.test', 'https', trustedPeer));
  t.deepEqual(h['x-forwarded-for'], ['198.51.100.1, 10.0.0.5']);
  t.deepEqual(h['x-forwarded-proto'], ['https']);
  t.deepEqual(h['x-forwarded-host'], ['outer.example.test']);
  t.deepEqual(h.forwarded, ['for=198.51.100.1;proto=https, for=10.0.0.5;host=shop.example.test;proto=https']);
});

test('HTTP/2 pseudo-headers never reach the upstream; IPv6 clients are bracketed in Forwarded', (t) => {
  const v6 = { address: '2001:db8::7', trusted: false, forwardedFor: '"[2001:db8::7]"' };
  const h = asObject(upstreamRequestHeaders([':method', 'GET', ':authority', 'shop.example.test', ':path', '/', 'accept', '*/*'], 'shop.example.test', 'https', v6));
  t.deepEqual(Object.keys(h).sort(), ['accept', 'forwarded', 'host', 'x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto']);
  t.deepEqual(h.forwarded, ['for="[2001:db8::7]";host=shop.example.test;proto=https']);
});

test('response headers: hop-by-hop and Connection-named headers dropped, the rest kept in order', (t) => {
  const raw = ['Content-Type', 'text/plain', 'Connection', 'close, X-Internal', 'X-Internal', '1', 'Transfer-Encoding', 'chunked', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'];
  t.deepEqual(clientResponseHeaders(raw), ['Content-Type', 'text/plain', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2']);
});

test('trusted proxies are CIDRs of either family', (t) => {
  t.throws(() => parseCidr('10.0.0.0/33'), { message: /prefix out of range/ });
  t.throws(() => parseCidr('nonsense/8'), { message: /not a CIDR/ });
  t.is(parseCidr('fd00::/8').family, 6);
});
