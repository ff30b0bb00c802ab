// Entries' namespaceSelector: a claim is accepted only from a namespace whose labels match.
import test from 'ava';
import { parseLabelSelector } from '../../src/config/selector.js';
import type { CrdEntryTarget } from '../../src/config/index.js';
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { claimRejection, planName } from '../../src/planner/index.js';
import { ingress } from './fixtures.js';

function entry(targets: CrdEntryTarget[]): GlobalDnsEntry {
  return { fqdn: 'shop.example.test', ttl: 300, provider: 'embedded', targets };
}

const web = ingress({ cluster: 'east', namespace: 'shop', namespaceLabels: { tier: 'web', env: 'prod' }, targets: ['192.0.2.10'] });
const dev = ingress({ cluster: 'east', namespace: 'sandbox', name: 'dev', namespaceLabels: { tier: 'web', env: 'dev' }, targets: ['192.0.2.66'] });
const bare = ingress({ cluster: 'east', namespace: 'loose', name: 'bare', targets: ['192.0.2.77'] });

test('a matching namespace is accepted; others are rejected naming the selector and the labels', (t) => {
  const e = entry([{ cluster: 'east', namespaceSelector: parseLabelSelector('tier=web,env notin (dev)') }]);
  t.is(claimRejection(e, web), undefined);
  t.is(
    claimRejection(e, dev),
    'namespace sandbox of cluster east (labels: env=dev,tier=web) does not match the namespaceSelector "tier=web,env notin (dev)" of entry shop.example.test',
  );
  t.regex(claimRejection(e, bare) ?? '', /namespace loose of cluster east \(labels: none\) does not match the namespaceSelector "tier=web,env notin \(dev\)"/);
});

test('without a selector every namespace of the cluster is accepted (as before)', (t) => {
  const e = entry([{ cluster: 'east' }]);
  t.is(claimRejection(e, dev), undefined);
  t.is(claimRejection(e, bare), undefined);
});

test('projects and selector both narrow; two targets for one cluster accept what either accepts', (t) => {
  const inProject = { ...web, project: 'c-abc12:p-web' };
  const both = entry([{ cluster: 'east', projects: ['c-abc12:p-web'], namespaceSelector: parseLabelSelector('env=prod') }]);
  t.is(claimRejection(both, inProject), undefined);
  t.regex(claimRejection(both, { ...dev, project: 'c-abc12:p-web' }) ?? '', /does not match the namespaceSelector "env=prod"/);
  t.regex(claimRejection(both, web) ?? '', /is in no Rancher project/, 'the project check still applies');
  const either = entry([
    { cluster: 'east', namespaceSelector: parseLabelSelector('env=prod') },
    { cluster: 'east', namespaceSelector: parseLabelSelector('env=dev') },
  ]);
  t.is(claimRejection(either, web), undefined);
  t.is(claimRejection(either, dev), undefined);
  t.regex(claimRejection(either, bare) ?? '', /namespaceSelector "env=prod"/);
});

test('the plan publishes the accepted claims only and lists the rejected ones with the selector', (t) => {
  const e = entry([{ cluster: 'east', namespaceSelector: parseLabelSelector('env=prod') }]);
  const plan = planName('shop.example.test', e, [web, dev, bare], new Map());
  t.deepEqual(
    plan.records.map((r) => [r.type, r.values]),
    [['A', ['192.0.2.10']]],
  );
  t.deepEqual(
    plan.rejected.map((r) => r.key).sort(),
    ['east/loose/Ingress/bare', 'east/sandbox/Ingress/dev'],
  );
  t.true(plan.rejected.every((r) => r.reason.includes('namespaceSelector "env=prod"')));
});
