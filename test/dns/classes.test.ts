// Query classes: only IN is served. A question in any other class (CH, HS, NONE, an unknown
// one) is REFUSED, also after the same name and type were answered in IN and that answer sits
// in the answer cache (issue 12: the cache key had no class, so CH got the IN answer).
import test from 'ava';
import { startGlobaldns, type Globaldns } from '../support/globaldns.js';
import { query, variants, type DigResult, type Variant } from '../support/dig.js';
import { APEX, ROT_IPS, baseConfig, manifests, waitForAnswers } from './fixture.js';

let g: Globaldns;

test.before(async () => {
  g = await startGlobaldns({ configYaml: baseConfig(), files: manifests() });
  await waitForAnswers(g, `rot.${APEX}`, ROT_IPS.length);
});

test.after.always(async () => {
  await g?.cleanup();
});

interface Class {
  name: string;
  code: number;
}
const IN: Class = { name: 'IN', code: 1 };
const OTHER_CLASSES: Class[] = [
  { name: 'CH', code: 3 },
  { name: 'HS', code: 4 },
  { name: 'NONE', code: 254 },
  { name: 'CLASS42', code: 42 },
];

function ask(v: Variant, name: string, cls: Class): Promise<DigResult> {
  // kdig knows no 'HS' mnemonic; both tools take the generic CLASSn form (RFC 3597)
  const arg = v.tool === 'kdig' && cls.name === 'HS' ? `CLASS${cls.code}` : cls.name;
  return query({ tool: v.tool, server: v.server, tcp: v.tcp, port: g.port, name, type: 'A', extra: ['-c', arg] });
}

function describe(r: DigResult): string {
  return `${r.tool} ${r.args.join(' ')}\n${r.raw}${r.stderr}`;
}

for (const v of variants()) {
  // serial: the rotation that shows the IN answer is the cached one is shared by all queries
  test.serial(`classes other than IN are REFUSED after a cached IN answer (${v.label})`, async (t) => {
    for (const name of [`www.${APEX}`, `rot.${APEX}`, `nope.${APEX}`]) {
      const inAnswer = await ask(v, name, IN);
      t.false(inAnswer.noReply, describe(inAnswer));
      t.not(inAnswer.status, 'REFUSED', describe(inAnswer));
      for (const cls of OTHER_CLASSES) {
        const r = await ask(v, name, cls);
        const what = `${name} ${cls.name}: ${describe(r)}`;
        t.is(r.status, 'REFUSED', what);
        t.is(r.answer.length, 0, what);
        t.is(r.authority.length, 0, what);
        t.false(r.flags.includes('aa'), what);
        // the question comes back in its own class (printed by name or as CLASSn)
        t.true([cls.name, `CLASS${cls.code}`].includes(r.question[0]?.class ?? ''), what);
      }
    }
  });

  test.serial(`the IN answer still comes from the cache after other classes were refused (${v.label})`, async (t) => {
    // The rotation counter lives in the cached answer: an answer built afresh for every query
    // would always start with the same address.
    const firsts = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const r = await ask(v, `rot.${APEX}`, IN);
      t.is(r.status, 'NOERROR', describe(r));
      t.deepEqual(r.answer.map((a) => a.data).sort(), [...ROT_IPS].sort(), describe(r));
      firsts.add(r.answer[0]?.data);
      const refused = await ask(v, `rot.${APEX}`, OTHER_CLASSES[i % OTHER_CLASSES.length]);
      t.is(refused.status, 'REFUSED', describe(refused));
    }
    t.true(firsts.size > 1, `first address was always ${[...firsts].join(',')}`);
  });
}
