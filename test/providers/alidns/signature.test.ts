// The v1 RPC signature against answers computed by hand from Alibaba Cloud's "Signature
// mechanism" page: the documented example, and an Alidns request whose StringToSign was written
// out by hand and whose HMAC-SHA1 was computed with `openssl dgst -sha1 -hmac 'testsecret&'`.
import test from 'ava';
import { alidnsPercentEncode, alidnsRpcSignature, alidnsStringToSign, AlidnsProvider } from '../../../providers/index.js';
import { startAlidnsSim } from '../../support/alidns-sim/index.js';

test('the documented example: DescribeRegions signed with testid / testsecret', (t) => {
  const params = {
    Timestamp: '2016-02-23T12:46:24Z',
    Format: 'XML',
    AccessKeyId: 'testid',
    Action: 'DescribeRegions',
    SignatureMethod: 'HMAC-SHA1',
    SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
    Version: '2014-05-26',
    SignatureVersion: '1.0',
  };
  t.is(
    alidnsStringToSign('GET', params),
    'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26',
  );
  t.is(alidnsRpcSignature('GET', params, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
});

test('an AddDomainRecord of a TXT value with quotes, a space, = and *: sorted, encoded twice, signed', (t) => {
  const params = {
    Action: 'AddDomainRecord',
    DomainName: 'example.org',
    RR: '_globaldns-a.www',
    Type: 'TXT',
    Value: 'v="a b"*~',
    TTL: '600',
    Line: 'default',
    Format: 'JSON',
    Version: '2015-01-09',
    AccessKeyId: 'testid',
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: 'nonce-1',
    Timestamp: '2024-05-01T00:00:00Z',
  };
  // By hand: names in byte order (TTL before Timestamp before Type), values encoded once in the
  // query and once more in the string to sign ('"' → %22 → %2522, ' ' → %20 → %2520, '~' kept).
  const byHand = 'GET&%2F&AccessKeyId%3Dtestid%26Action%3DAddDomainRecord%26DomainName%3Dexample.org%26Format%3DJSON%26Line%3Ddefault' +
    '%26RR%3D_globaldns-a.www%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dnonce-1%26SignatureVersion%3D1.0%26TTL%3D600' +
    '%26Timestamp%3D2024-05-01T00%253A00%253A00Z%26Type%3DTXT%26Value%3Dv%253D%2522a%2520b%2522%252A~%26Version%3D2015-01-09';
  t.is(alidnsStringToSign('GET', params), byHand);
  t.is(alidnsRpcSignature('GET', params, 'testsecret'), 'kbOPQbcFiF2k7jxJWUS2EdbtYMI=');
});

test('percent-encoding: RFC 3986 unreserved kept, space %20 not +, * %2A, UTF-8 bytes', (t) => {
  t.is(alidnsPercentEncode('AZaz09-_.~'), 'AZaz09-_.~');
  t.is(alidnsPercentEncode("a b*c!'()+/:"), 'a%20b%2Ac%21%27%28%29%2B%2F%3A');
  t.is(alidnsPercentEncode('é中'), '%C3%A9%E4%B8%AD');
});

test('the simulator accepts what the signer signs, TXT text with every awkward character included', async (t) => {
  const sim = await startAlidnsSim({ keys: { testid: 'testsecret' } });
  t.teardown(() => sim.stop());
  sim.createDomain('example.org');
  const p = new AlidnsProvider({ endpoint: sim.url, accessKeyId: 'testid', accessKeySecret: 'testsecret', rateLimitPerSecond: 1000 });
  const [zone] = await p.zones();
  const text = `heritage=globaldns,globaldns/owner=a "q" *~!'()+&%=é 中`;
  const r = await p.apply(zone, { creates: [{ name: '_globaldns-a.www.example.org', type: 'TXT', ttl: 600, values: [text] }], updates: [], deletes: [] });
  t.is(r.failed, 0, r.results[0].error);
  t.is(sim.records('example.org')[0].Value, text, 'stored byte for byte');
  t.deepEqual((await p.records(zone)).map((s) => s.values), [[text]], 'read back unchanged');
  t.true(sim.calls.every((c) => c.status === 200), JSON.stringify(sim.calls.filter((c) => c.status !== 200)));
});
