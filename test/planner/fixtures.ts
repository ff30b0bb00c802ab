import type { Endpoint, GlobalDnsEntry } from '../../src/model/index.js';

/** Named fixtures: a shop published from east (any project) and west (one Rancher project). */
export const shopEntry: GlobalDnsEntry = {
  fqdn: 'shop.example.test',
  ttl: 300,
  provider: 'embedded',
  targets: [{ cluster: 'east' }, { cluster: 'west', projects: ['c-abc12:p-xyz34'] }],
};

export const appsWildcardEntry: GlobalDnsEntry = {
  fqdn: '*.apps.example.test',
  ttl: 120,
  provider: 'embedded',
  targets: [{ cluster: 'east' }],
};

export function ingress(over: Partial<Endpoint> & Pick<Endpoint, 'cluster'>): Endpoint {
  return { namespace: 'shop', kind: 'Ingress', name: 'web', hostnames: ['shop.example.test'], targets: [], ...over };
}

export const eastShop = ingress({ cluster: 'east', targets: ['192.0.2.10', '2001:db8::10'] });
export const westShopInProject = ingress({ cluster: 'west', project: 'p-xyz34', targets: ['198.51.100.20'] });
export const westShopOtherProject = ingress({ cluster: 'west', namespace: 'other', project: 'c-abc12:p-other', targets: ['198.51.100.99'] });
export const westShopNoProject = ingress({ cluster: 'west', namespace: 'loose', targets: ['198.51.100.98'] });
export const northShop = ingress({ cluster: 'north', targets: ['203.0.113.1'] });
export const eastShopViaLb = ingress({ cluster: 'east', name: 'lb', targets: ['lb.cloud.example', 'lb2.cloud.example'] });
