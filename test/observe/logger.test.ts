// Secrets never reach the log: a logged object carrying credentials under the usual keys, at
// the top level or nested in a provider's settings or a request's headers, shows them redacted.
import { Writable } from 'node:stream';
import test from 'ava';
import { createLogger } from '../../src/observe/index.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  return { stream, text: () => text, lines: () => text.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('secret, token, apiKey, password, tsigSecret and authorization are redacted wherever they sit', (t) => {
  const out = capture();
  const log = createLogger('info', out.stream);
  log.info(
    {
      secret: 's3cr3t-top',
      token: 'tok-top',
      provider: { name: 'ns1', apiKey: 'key-in-provider', password: 'pw-in-provider', tsigSecret: 'c2VjcmV0LXRzaWc=' },
      request: { headers: { authorization: 'Bearer abc.def.ghi', accept: 'application/json' } },
      authorization: 'Basic dXNlcjpwYXNz',
    },
    'provider configured',
  );
  const [line] = out.lines();
  t.is(line.secret, '[redacted]');
  t.is(line.token, '[redacted]');
  t.is(line.authorization, '[redacted]');
  const provider = line.provider as Record<string, unknown>;
  t.is(provider.name, 'ns1', 'other fields stay readable');
  t.is(provider.apiKey, '[redacted]');
  t.is(provider.password, '[redacted]');
  t.is(provider.tsigSecret, '[redacted]');
  const headers = (line.request as { headers: Record<string, unknown> }).headers;
  t.is(headers.authorization, '[redacted]');
  t.is(headers.accept, 'application/json');
  for (const secret of ['s3cr3t-top', 'tok-top', 'key-in-provider', 'pw-in-provider', 'c2VjcmV0LXRzaWc=', 'abc.def.ghi', 'dXNlcjpwYXNz']) {
    t.false(out.text().includes(secret), `${secret} does not appear in the log`);
  }
});

test('a child logger redacts too, and the message and level stay as written', (t) => {
  const out = capture();
  createLogger('info', out.stream).child({ module: 'external' }).warn({ provider: 'r53', credentials: { secretAccessKey: 'wJalrXUtnFEMI', accessKeyId: 'AKIDEXAMPLE' } }, 'provider unreadable');
  const [line] = out.lines();
  t.is(line.level, 'warn');
  t.is(line.msg, 'provider unreadable');
  t.is(line.module, 'external');
  t.deepEqual(line.credentials, { secretAccessKey: '[redacted]', accessKeyId: 'AKIDEXAMPLE' });
  t.false(out.text().includes('wJalrXUtnFEMI'));
});
