// The zone and clusters the DNS integration tests run against (not a test file itself).
import { ingressYaml, namespaceYaml } from '../support/globaldns.js';
import { buildQuery, headerOf, udpExchange } from '../support/wire.js';

export const APEX = 'example.test';
/** second zone: SOA TTL below its minimum, so the negative TTL comes from the TTL */
export const APEX2 = 'second.test';

/** 60-character strings: 30 of them make an answer far over 1232 bytes, 10 one over 512. */
const long = (i: number) => `"${'x'.repeat(58)}${String(i).padStart(2, '0')}"`;

export const SHOP_IPS = ['192.0.2.10', '192.0.2.20'];
export const ROT_IPS = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'];
/** 100 addresses for many.example.test, half in each cluster */
export const MANY_IPS = Array.from({ length: 100 }, (_, i) => `198.51.100.${i + 1}`);

export function baseConfig(dns: Record<string, unknown> = {}) {
  return {
    dns: { listen: ['127.0.0.1:5353'], udpPayloadMax: 1232, ...dns },
    zones: [
      {
        apex: APEX,
        ns: [`ns1.${APEX}`],
        soa: { minimum: 60 },
        records: [
          'ns1 3600 IN A 127.0.0.1',
          'www 300 IN CNAME shop',
          '*.apps 300 IN A 192.0.2.10',
          // an explicit name under the wildcard: blocks synthesis for itself and below
          'host.apps 300 IN TXT "explicit"',
          '@ TXT "hello"',
          ...Array.from({ length: 30 }, (_, i) => `big 300 IN TXT ${long(i)}`),
          ...Array.from({ length: 10 }, (_, i) => `mid 300 IN TXT ${long(i)}`),
        ],
      },
      {
        apex: APEX2,
        ns: [`ns1.${APEX}`],
        soa: { ttl: 30, minimum: 120 },
        records: ['a 300 IN A 192.0.2.50'],
      },
    ],
    clusters: [
      { name: 'east', manifests: 'clusters/east' },
      { name: 'west', manifests: 'clusters/west' },
    ],
    entries: [
      { fqdn: `shop.${APEX}`, ttl: 300, targets: [{ cluster: 'east' }, { cluster: 'west' }] },
      { fqdn: `rot.${APEX}`, ttl: 300, targets: [{ cluster: 'east' }, { cluster: 'west' }] },
      { fqdn: `many.${APEX}`, ttl: 300, targets: [{ cluster: 'east' }, { cluster: 'west' }] },
    ],
  };
}

export function manifests(shop: { east: string[]; west: string[] } = { east: [SHOP_IPS[0]], west: [SHOP_IPS[1]] }): Record<string, string> {
  const files: Record<string, string> = {};
  for (
    const [cluster, shopIps, rotIps, manyIps] of [
      ['east', shop.east, ROT_IPS.slice(0, 2), MANY_IPS.slice(0, 50)],
      ['west', shop.west, ROT_IPS.slice(2), MANY_IPS.slice(50)],
    ] as const
  ) {
    files[`clusters/${cluster}/namespace.yaml`] = namespaceYaml('shop');
    files[`clusters/${cluster}/shop.yaml`] = ingressYaml({ name: 'shop', namespace: 'shop', hostname: `shop.${APEX}`, ips: [...shopIps] });
    files[`clusters/${cluster}/rot.yaml`] = ingressYaml({ name: 'rot', namespace: 'shop', hostname: `rot.${APEX}`, ips: [...rotIps] });
    files[`clusters/${cluster}/many.yaml`] = ingressYaml({ name: 'many', namespace: 'shop', hostname: `many.${APEX}`, ips: [...manyIps] });
  }
  return files;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a value (not undefined) or time runs out. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, timeoutMs: number, intervalMs = 50): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Waits until `name` answers with `count` records over UDP, or throws with the server's log. */
export async function waitForAnswers(g: { port: number; logs(): string }, name: string, count: number): Promise<void> {
  const ready = await pollUntil(async () => {
    const r = await udpExchange(g.port, buildQuery(name, { rd: false }), { timeoutMs: 300 });
    return r && headerOf(r.reply).an === count ? true : undefined;
  }, 10_000);
  if (!ready) throw new Error(`entries never appeared in the zone\n${g.logs()}`);
}
