// `proxy.acme.challenge`: http-01 unless told otherwise, tls-alpn-01 when asked, anything else
// refused with the accepted values, and tls-alpn-01 without an HTTPS listener refused (the CA
// would have nowhere to connect).
import test from 'ava';
import { parseConfig } from '../../src/config/index.js';
import { problemsOf as problems } from './problems.js';

const base = { baseDir: '/srv/gdns' };

function proxy(acme: string, extra = ''): string {
  return `
zones:
  - apex: example.test
proxy:
  https: "127.0.0.1:8443"
${extra}
  acme: { directoryUrl: "https://ca.example.test/dir", caFile: ca.pem${acme} }
`;
}

const problemsOf = (text: string): string[] => problems(text, base);

test('acme.challenge defaults to http-01; other acme settings are kept (caFile resolved against the config folder)', (t) => {
  const acme = parseConfig(proxy(''), base).proxy!.acme!;
  t.is(acme.challenge, 'http-01');
  t.is(acme.directoryUrl, 'https://ca.example.test/dir');
  t.is(acme.caFile, '/srv/gdns/ca.pem');
});

test('acme.challenge tls-alpn-01 and http-01 are taken as written', (t) => {
  t.is(parseConfig(proxy(', challenge: tls-alpn-01'), base).proxy!.acme!.challenge, 'tls-alpn-01');
  t.is(parseConfig(proxy(', challenge: http-01'), base).proxy!.acme!.challenge, 'http-01');
});

test('an unknown challenge type is refused, naming the field and the accepted values', (t) => {
  const problems = problemsOf(proxy(', challenge: dns-01'));
  t.true(problems.some((p) => p.includes('acme.challenge') && p.includes('http-01') && p.includes('tls-alpn-01')), problems.join('\n'));
});

test('tls-alpn-01 without the https listener is refused with the reason; http-01 without it is fine', (t) => {
  const problems = problemsOf(proxy(', challenge: tls-alpn-01', '  https: false').replace('  https: "127.0.0.1:8443"\n', ''));
  t.true(problems.some((p) => p.includes('acme.challenge') && p.includes('https listener')), problems.join('\n'));
  const plain = parseConfig(proxy('', '  https: false').replace('  https: "127.0.0.1:8443"\n', ''), base).proxy!;
  t.is(plain.https, false);
  t.is(plain.acme!.challenge, 'http-01');
});
