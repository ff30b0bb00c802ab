// buildView's provider lifecycle: deletion, our finalizer, and which GlobalDNS name each provider.
import test from 'ava';
import { buildView, PROVIDER_FINALIZER } from '../../../src/sources/index.js';

const provider = (name: string, metadata: Record<string, unknown> = {}) => ({
  apiVersion: 'globaldns.io/v1alpha1',
  kind: 'GlobalDNSProvider',
  metadata: { name, ...metadata },
  spec: { type: 'embedded' },
});
const entry = (namespace: string, name: string, spec: Record<string, unknown>) => ({ apiVersion: 'globaldns.io/v1alpha1', kind: 'GlobalDNS', metadata: { namespace, name }, spec });

test('lifecycle: deleting, finalized, used by every GlobalDNS naming it (valid or not)', (t) => {
  const view = buildView(
    [
      entry('shop', 'web', { fqdn: 'www.example.org', providerRef: 'a', targets: [{ cluster: 'east' }] }),
      entry('shop', 'broken', { fqdn: 'not valid!', providerRef: 'a', targets: [] }),
      entry('team', 'x', { fqdn: 'x.example.org', providerRef: 'gone', targets: [{ cluster: 'east' }] }),
    ],
    [provider('b'), provider('a', { finalizers: [PROVIDER_FINALIZER, 'other.io/x'], deletionTimestamp: '2026-01-01T00:00:00Z' })],
    new Map(),
  );
  t.deepEqual(view.lifecycle, [
    { name: 'a', deleting: true, finalized: true, usedBy: ['shop/broken', 'shop/web'] },
    { name: 'b', deleting: false, finalized: false, usedBy: [] },
  ]);
  t.deepEqual(
    view.providers.map((p) => p.name),
    ['a', 'b'],
    'a provider being deleted stays usable',
  );
});
