// YAML and GlobalDNS resources are two inputs of the same entries, merged by one function:
// a name the YAML has stays the YAML's, whatever a resource says.
import test from 'ava';
import type { GlobalDnsEntry } from '../../src/model/index.js';
import { mergeEntries } from '../../src/planner/index.js';

const entry = (fqdn: string, provider: string): GlobalDnsEntry => ({ fqdn, ttl: 60, provider, targets: [{ cluster: 'east' }] });

test('the YAML entries come first and keep their names; the resources add the others', (t) => {
  const yaml = [entry('shop.example.test', 'embedded')];
  const resources = [entry('shop.example.test', 'r53'), entry('api.example.test', 'r53')];
  t.deepEqual(mergeEntries(yaml, resources), [entry('shop.example.test', 'embedded'), entry('api.example.test', 'r53')]);
  t.deepEqual(mergeEntries([], resources), resources);
  t.deepEqual(mergeEntries(yaml, []), yaml);
});
