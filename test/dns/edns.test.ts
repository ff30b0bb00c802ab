// EDNS(0) (RFC 6891) and truncation, through dig and kdig over UDP and TCP, IPv4 and IPv6.
import test from 'ava';
import { startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { query, variants, type DigResult, type QueryOptions, type Variant } from '../support/dig.js';
import { buildQuery, headerOf, udpExchange } from '../support/wire.js';
import { APEX, MANY_IPS, baseConfig, manifests, pollUntil } from './fixture.js';

let g: Globaldns;

test.before(async () => {
  g = await startGlobaldns({ configYaml: baseConfig(), files: manifests() });
  const ready = await pollUntil(async () => {
    const r = await udpExchange(g.port, buildQuery(`many.${APEX}`, { rd: false, edns: 1232 }), { timeoutMs: 300 });
    // TC over UDP, or a complete answer: either way the entry exists
    return r && (headerOf(r.reply).tc || headerOf(r.reply).an === MANY_IPS.length) ? true : undefined;
  }, 10_000);
  if (!ready) throw new Error(`entries never appeared in the zone\n${g.logs()}`);
});

test.after.always(async () => {
  await g?.cleanup();
});

function ask(v: Variant, name: string, type = 'A', o: Partial<QueryOptions> = {}): Promise<DigResult> {
  return query({ tool: v.tool, server: v.server, tcp: v.tcp, port: g.port, name, type, ...o });
}
const describe = (r: DigResult) => `${r.tool} ${r.args.join(' ')}\n${r.raw}${r.stderr}`;

for (const v of variants()) {
  test(`OPT echoed with our payload size 1232, version 0 (${v.label})`, async (t) => {
    for (const bufsize of [512, 1232, 4096]) {
      const r = await ask(v, `shop.${APEX}`, 'A', { edns: true, bufsize });
      t.is(r.status, 'NOERROR', describe(r));
      t.truthy(r.opt, `bufsize ${bufsize}: no OPT in the reply\n${describe(r)}`);
      t.is(r.opt?.version, 0);
      t.is(r.opt?.udp, 1232, `bufsize ${bufsize}: advertised ${r.opt?.udp}`);
    }
  });

  test(`no OPT in the reply to a query without EDNS (${v.label})`, async (t) => {
    const r = await ask(v, `shop.${APEX}`, 'A', { edns: false });
    t.is(r.status, 'NOERROR', describe(r));
    t.is(r.opt, undefined, describe(r));
    t.is(r.counts.additional, 0, describe(r));
  });

  test(`BADVERS for EDNS version 1, with OPT version 0 (${v.label})`, async (t) => {
    const r = await ask(v, `shop.${APEX}`, 'A', { edns: 1 });
    t.is(r.status, 'BADVERS', describe(r));
    t.truthy(r.opt, describe(r));
    t.is(r.opt?.version, 0);
    t.is(r.answer.length, 0);
    if (v.tool === 'kdig') t.is(r.opt?.extRcode, 'BADVERS');
  });

  test(`negative answers keep the OPT (${v.label})`, async (t) => {
    const r = await ask(v, `nope.${APEX}`, 'A', { edns: true });
    t.is(r.status, 'NXDOMAIN', describe(r));
    t.is(r.opt?.udp, 1232, describe(r));
    const refused = await ask(v, 'www.example.org', 'A', { edns: true });
    t.is(refused.status, 'REFUSED', describe(refused));
    t.truthy(refused.opt, describe(refused));
  });
}

// Truncation only exists on UDP; the TCP half of each pair checks the full answer.
for (const v of variants().filter((x) => !x.tcp)) {
  const tcp: Variant = { ...v, tcp: true, label: v.label.replace('udp', 'tcp') };

  test(`large TXT answer: TC=1 over UDP with OPT kept, complete over TCP (${v.tool} ${v.server})`, async (t) => {
    const u = await ask(v, `big.${APEX}`, 'TXT', { edns: true, bufsize: 1232, ignoreTc: true });
    t.is(u.status, 'NOERROR', describe(u));
    t.true(u.flags.includes('tc'), describe(u));
    t.true(u.flags.includes('aa'));
    t.truthy(u.opt, `OPT must be kept on a truncated reply\n${describe(u)}`);
    t.is(u.opt?.udp, 1232);
    const full = await ask(tcp, `big.${APEX}`, 'TXT', { edns: true });
    t.is(full.status, 'NOERROR', describe(full));
    t.false(full.flags.includes('tc'));
    t.is(full.answer.length, 30, describe(full));
    t.truthy(full.opt);
  });

  test(`entry with 100 addresses: TC=1 over UDP with OPT kept, all 100 over TCP (${v.tool} ${v.server})`, async (t) => {
    const u = await ask(v, `many.${APEX}`, 'A', { edns: true, bufsize: 1232, ignoreTc: true });
    t.is(u.status, 'NOERROR', describe(u));
    t.true(u.flags.includes('tc'), describe(u));
    t.truthy(u.opt, describe(u));
    const full = await ask(tcp, `many.${APEX}`, 'A', { edns: true });
    t.is(full.status, 'NOERROR', describe(full));
    t.false(full.flags.includes('tc'));
    t.deepEqual(full.answer.map((a) => a.data).sort(), [...MANY_IPS].sort(), describe(full));
  });

  test(`the tool's own TCP retry after TC gets the full answer (${v.tool} ${v.server})`, async (t) => {
    const r = await ask(v, `big.${APEX}`, 'TXT', { edns: true });
    t.is(r.status, 'NOERROR', describe(r));
    t.is(r.answer.length, 30, describe(r));
  });

  test(`answer over 512 bytes without EDNS: TC=1, no OPT (${v.tool} ${v.server})`, async (t) => {
    const u = await ask(v, `mid.${APEX}`, 'TXT', { edns: false, ignoreTc: true });
    t.is(u.status, 'NOERROR', describe(u));
    t.true(u.flags.includes('tc'), describe(u));
    t.is(u.opt, undefined, describe(u));
    const full = await ask(tcp, `mid.${APEX}`, 'TXT', { edns: false });
    t.is(full.answer.length, 10, describe(full));
    t.false(full.flags.includes('tc'));
  });

  test(`the client's smaller EDNS size is honoured; 1232 fits the ~700-byte answer (${v.tool} ${v.server})`, async (t) => {
    const small = await ask(v, `mid.${APEX}`, 'TXT', { edns: true, bufsize: 512, ignoreTc: true });
    t.true(small.flags.includes('tc'), describe(small));
    const fits = await ask(v, `mid.${APEX}`, 'TXT', { edns: true, bufsize: 1232, ignoreTc: true });
    t.false(fits.flags.includes('tc'), describe(fits));
    t.is(fits.answer.length, 10, describe(fits));
  });

  test(`a client EDNS size above ours is capped at 1232 (${v.tool} ${v.server})`, async (t) => {
    // big TXT is ~2 KB: fits 4096 but not our 1232 cap
    const r = await ask(v, `big.${APEX}`, 'TXT', { edns: true, bufsize: 4096, ignoreTc: true });
    t.true(r.flags.includes('tc'), describe(r));
  });
}
