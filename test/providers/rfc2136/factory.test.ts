// The `rfc2136:` settings block and the factory: defaults, errors that name the field, the
// secret taken from `tsig-secret` and never echoed; and a built provider that works.
import test from 'ava';
import { rfc2136Factory, Rfc2136Provider } from '../../../providers/index.js';
import { startRfc2136World } from './backend.js';

const base = { zones: ['example.org'], servers: ['127.0.0.1:5300', 'ns2.example.org', '[::1]:5301'] };

test('defaults: hmac-sha256, 5 s timeout, transfers on', (t) => {
  const r = rfc2136Factory.settings.safeParse({ ...base, tsigKeyName: 'k' });
  if (!r.success) return t.fail(JSON.stringify(r.error.issues));
  t.like(r.data, { tsigAlgorithm: 'hmac-sha256', timeoutMs: 5000, transfer: true });
  t.deepEqual(rfc2136Factory.secretKeys, ['tsig-secret']);
  t.is(rfc2136Factory.type, 'rfc2136');
});

test('bad settings name the field', (t) => {
  const cases: [unknown, RegExp][] = [
    [{ ...base, servers: ['127.0.0.1:99999'] }, /servers\.0: .*port must be 1\.\.65535/],
    [{ ...base, servers: [] }, /servers: /],
    [{ ...base, zones: [] }, /zones: /],
    [{ ...base, tsigAlgorithm: 'hmac-sha3' }, /tsigAlgorithm: /],
    [{ ...base, tsigSecret: 'c2VjcmV0' }, /Unrecognized key.*tsigSecret/],
    [{ ...base, timeoutMs: -1 }, /timeoutMs: /],
  ];
  for (const [input, re] of cases) {
    const r = rfc2136Factory.settings.safeParse(input);
    t.false(r.success, JSON.stringify(input));
    if (!r.success) t.regex(r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), re);
  }
});

test('create(): a key name without its secret, or a secret that is not base64, is a clear error without the secret', (t) => {
  const settings = { ...base, tsigKeyName: 'k', tsigAlgorithm: 'hmac-sha256' as const, timeoutMs: 5000, transfer: true };
  t.throws(() => rfc2136Factory.create({ name: 'ns1', settings, secret: () => undefined }), { message: /rfc2136 ns1: tsigKeyName k is set but the secret tsig-secret is missing/ });
  const e = t.throws(() => rfc2136Factory.create({ name: 'ns1', settings, secret: () => 'sup3r$ecret!' }));
  t.regex(e?.message ?? '', /rfc2136 ns1: tsig-secret of key k: TSIG secret is not base64/);
  t.false((e?.message ?? '').includes('sup3r'));
  t.throws(() => rfc2136Factory.create({ name: 'ns1', settings: { ...settings, tsigKeyName: undefined }, secret: () => 'c2VjcmV0' }), { message: /tsig-secret is given but tsigKeyName is not set/ });
  t.true(rfc2136Factory.create({ name: 'ns1', settings, secret: () => 'c2VjcmV0' }) instanceof Rfc2136Provider);
});

test.serial('a provider built by the factory writes to named and reports each request to the observer', async (t) => {
  const w = await startRfc2136World('bind', { algorithm: 'hmac-sha512' });
  try {
    const parsed = rfc2136Factory.settings.safeParse({ zones: ['Example.ORG.'], servers: [`127.0.0.1:${w.port}`], tsigKeyName: w.key.name, tsigAlgorithm: 'hmac-sha512' });
    if (!parsed.success) return t.fail();
    const calls: string[] = [];
    const p = rfc2136Factory.create({ name: 'ns1', settings: parsed.data, secret: (k) => (k === 'tsig-secret' ? w.key.secret : undefined), observe: (c) => calls.push(`${c.provider} ${c.operation} ${c.outcome}`) });
    const [zone] = await p.zones();
    t.deepEqual(zone, { id: 'example.org', name: 'example.org' });
    const r = await p.apply(zone, { creates: [{ name: 'www.example.org', type: 'A', ttl: 600, values: ['192.0.2.1'] }], updates: [], deletes: [] });
    t.is(r.failed, 0);
    t.truthy((await p.records(zone)).find((x) => x.name === 'www.example.org'));
    t.deepEqual(calls, ['ns1 UPDATE ok', 'ns1 AXFR ok']);
  } finally {
    await w.stop();
  }
});
