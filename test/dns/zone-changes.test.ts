// Editing a manifest changes the answer without a restart, and the SOA serial grows.
import test from 'ava';
import { startGlobaldns, ingressYaml, type Globaldns } from '../support/globaldns.js';
import { query, soaFields, type Tool } from '../support/dig.js';
import { APEX, SHOP_IPS, baseConfig, manifests, pollUntil, waitForAnswers } from './fixture.js';

let g: Globaldns;

test.before(async () => {
  g = await startGlobaldns({ configYaml: baseConfig(), files: manifests() });
  await waitForAnswers(g, `shop.${APEX}`, SHOP_IPS.length);
});

test.after.always(async () => {
  await g?.cleanup();
});

async function serial(tool: Tool, tcp: boolean, server = '127.0.0.1'): Promise<number> {
  const r = await query({ tool, tcp, server, port: g.port, name: APEX, type: 'SOA' });
  if (r.answer[0]?.type !== 'SOA') throw new Error(`no SOA:\n${r.raw}`);
  return soaFields(r.answer[0].data).serial;
}

async function shopAddresses(tool: Tool, tcp: boolean, server = '127.0.0.1'): Promise<string[]> {
  const r = await query({ tool, tcp, server, port: g.port, name: `shop.${APEX}` });
  return r.answer.filter((a) => a.type === 'A').map((a) => a.data).sort();
}

// serial so the edits do not race each other
const steps: { tool: Tool; tcp: boolean; server: string; east: string[] }[] = [
  { tool: 'dig', tcp: false, server: '127.0.0.1', east: ['192.0.2.11'] },
  { tool: 'kdig', tcp: true, server: '::1', east: ['192.0.2.11', '192.0.2.12'] },
  { tool: 'kdig', tcp: false, server: '127.0.0.1', east: ['192.0.2.13'] },
  { tool: 'dig', tcp: true, server: '::1', east: [SHOP_IPS[0]] },
];

for (const s of steps) {
  test.serial(`manifest edit: new answer within a second and a larger SOA serial (${s.tool} ${s.tcp ? 'tcp' : 'udp'} ${s.server})`, async (t) => {
    const before = await serial(s.tool, s.tcp, s.server);
    const want = [...s.east, SHOP_IPS[1]].sort();
    t.notDeepEqual(await shopAddresses(s.tool, s.tcp, s.server), want, 'test setup: answer already equals the target');
    const t0 = Date.now();
    await g.writeFile('clusters/east/shop.yaml', ingressYaml({ name: 'shop', namespace: 'shop', hostname: `shop.${APEX}`, ips: s.east }));
    const seen = await pollUntil(
      async () => {
        const got = await shopAddresses(s.tool, s.tcp, s.server);
        return JSON.stringify(got) === JSON.stringify(want) ? Date.now() - t0 : undefined;
      },
      5000,
      25,
    );
    t.not(seen, undefined, `answer never became ${want.join(',')}`);
    t.true((seen ?? Infinity) <= 1000, `answer changed after ${seen} ms, want ≤ 1000`);
    const after = await serial(s.tool, s.tcp, s.server);
    t.true(after > before, `serial ${before} → ${after}`);
  });
}

test.serial('an unchanged zone keeps its serial', async (t) => {
  const a = await serial('dig', false);
  // rewriting a manifest with the same content is not a change of the zone
  await g.writeFile('clusters/west/shop.yaml', ingressYaml({ name: 'shop', namespace: 'shop', hostname: `shop.${APEX}`, ips: [SHOP_IPS[1]] }));
  await new Promise((r) => setTimeout(r, 1500));
  const b = await serial('kdig', false);
  t.is(b, a);
});

test.serial('removing an Ingress withdraws its addresses; the serial grows', async (t) => {
  const before = await serial('dig', false);
  await g.remove('clusters/west/shop.yaml');
  const seen = await pollUntil(
    async () => {
      const got = await shopAddresses('dig', false);
      return JSON.stringify(got) === JSON.stringify([SHOP_IPS[0]]) ? true : undefined;
    },
    5000,
    25,
  );
  t.true(seen, 'west address still served');
  t.true((await serial('dig', false)) > before);
});
