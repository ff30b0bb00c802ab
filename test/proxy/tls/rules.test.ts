// The pure parts: when a certificate is due, where HTTP redirects to, which requests the
// HTTP-01 responder answers.
import test from 'ava';
import { renewalDue, renewalDueAt, HttpChallengeResponder } from '../../../src/proxy/acme/index.js';
import { redirectTarget, nameCovers, parseSecretRef } from '../../../src/proxy/tls/index.js';

const DAY = 86_400_000;
const at = (iso: string) => new Date(iso);

test('a 90-day certificate is due 30 days before expiry; renewBeforeDays moves that', (t) => {
  const cert = { notBefore: at('2025-01-01T00:00:00Z'), notAfter: at('2025-04-01T00:00:00Z') };
  t.deepEqual(renewalDueAt(cert, 30), at('2025-03-02T00:00:00Z'));
  t.false(renewalDue(cert, at('2025-03-01T23:59:59Z'), 30));
  t.true(renewalDue(cert, at('2025-03-02T00:00:00Z'), 30));
  t.deepEqual(renewalDueAt(cert, 10), at('2025-03-22T00:00:00Z'));
});

test('a short-lived certificate is due when a third of its lifetime remains, not on every check', (t) => {
  const notBefore = at('2025-01-01T00:00:00Z');
  const cert = { notBefore, notAfter: new Date(notBefore.getTime() + 6 * DAY) };
  t.deepEqual(renewalDueAt(cert, 30), new Date(notBefore.getTime() + 4 * DAY));
  t.false(renewalDue(cert, new Date(notBefore.getTime() + DAY), 30));
  const oneHour = { notBefore, notAfter: new Date(notBefore.getTime() + 3_600_000) };
  t.deepEqual(renewalDueAt(oneHour, 30), new Date(notBefore.getTime() + 2_400_000));
});

test('HTTP→HTTPS redirect keeps path and query, drops the HTTP port, and never redirects a challenge', (t) => {
  t.is(redirectTarget({ host: 'shop.example.org', url: '/cart?id=1' }), 'https://shop.example.org/cart?id=1');
  t.is(redirectTarget({ host: 'shop.example.org:8080', url: '/' }, 8443), 'https://shop.example.org:8443/');
  t.is(redirectTarget({ host: '[::1]:8080', url: '/x' }, 8443), 'https://[::1]:8443/x');
  t.is(redirectTarget({ host: 'shop.example.org', url: '/.well-known/acme-challenge/abc' }), undefined);
  t.is(redirectTarget({ host: undefined, url: '/' }), undefined);
  t.is(redirectTarget({ host: 'evil"><script>', url: '/' }), undefined);
  t.is(redirectTarget({ host: 'shop.example.org', url: 'http://other.example/' }), undefined);
});

test('the HTTP-01 responder answers its token on its host only', (t) => {
  const r = new HttpChallengeResponder();
  r.add('a.example.org', 'tok1', 'tok1.thumb');
  t.is(r.respond('a.example.org', '/.well-known/acme-challenge/tok1'), 'tok1.thumb');
  t.is(r.respond('A.Example.Org:80', '/.well-known/acme-challenge/tok1?x=1'), 'tok1.thumb');
  t.is(r.respond('b.example.org', '/.well-known/acme-challenge/tok1'), undefined);
  t.is(r.respond('a.example.org', '/.well-known/acme-challenge/tok2'), undefined);
  t.is(r.respond('a.example.org', '/tok1'), undefined);
  r.delete('a.example.org', 'tok1');
  t.is(r.respond('a.example.org', '/.well-known/acme-challenge/tok1'), undefined);
});

test('names: wildcards cover one label; secret references take a default namespace', (t) => {
  t.true(nameCovers('*.example.org', 'www.example.org'));
  t.false(nameCovers('*.example.org', 'a.www.example.org'));
  t.false(nameCovers('*.example.org', 'example.org'));
  t.true(nameCovers('www.example.org', 'WWW.example.org.'));
  t.deepEqual(parseSecretRef('web-tls', 'globaldns'), { namespace: 'globaldns', name: 'web-tls' });
  t.deepEqual(parseSecretRef('shop/web-tls', 'globaldns'), { namespace: 'shop', name: 'web-tls' });
  t.throws(() => parseSecretRef('a/b/c', 'x'), { message: 'secretName "a/b/c": expected "name" or "namespace/name"' });
});
