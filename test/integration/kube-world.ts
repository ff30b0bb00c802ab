// Fake clusters, kubeconfig files and a real `globaldns serve` wired to them, for the
// multi-cluster integration tests (not a test file itself).
import YAML from 'yaml';
import { startFakeKube } from '../support/fake-kube/index.js';
import type { FakeKube } from '../support/fake-kube/index.js';
import { startGlobaldns } from '../support/globaldns.js';
import type { Globaldns } from '../support/globaldns.js';
import { buildQuery, decode, udpExchange } from '../support/wire.js';

export const APEX = 'example.test';

export interface ClusterSpec {
  name: string;
  /** Written as `<dir>/rancher/<name>.yaml` and read through `kubeconfigDir` instead of `kubeconfig`. */
  inFolder?: boolean;
  /** A token the server does not accept. */
  wrongToken?: boolean;
}

export interface World {
  g: Globaldns;
  fakes: Record<string, FakeKube>;
  /** Sorted A values, or the rcode name when there are none. */
  a(name: string): Promise<string[] | string>;
  /** Polls until `a(name)` equals `want`; returns how long it took. Throws with the last answer. */
  until(name: string, want: string[] | string, timeoutMs?: number): Promise<number>;
  /** Asserts the answer stays `want` for `ms`. */
  holds(name: string, want: string[] | string, ms: number): Promise<void>;
  /** Log lines (pino JSON) whose msg matches; level as pino writes it here (`"warn"`). */
  logLines(re: RegExp): { level: string; msg: string }[];
  /** Stops globaldns and starts it again on the same state directory, config and port; `g` is then the new process. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

export interface WorldOptions {
  clusters: ClusterSpec[];
  entries: { fqdn: string; targets: { cluster: string; projects?: string[] }[] }[];
  sources?: Record<string, unknown>;
  /** Objects applied to each fake before globaldns starts. */
  seed?: Record<string, Record<string, unknown>[]>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startWorld(o: WorldOptions): Promise<World> {
  const fakes: Record<string, FakeKube> = {};
  for (const c of o.clusters) fakes[c.name] = await startFakeKube();
  for (const [name, objs] of Object.entries(o.seed ?? {})) for (const obj of objs) fakes[name].apply(obj);

  const files: Record<string, string> = {};
  const clusters: Record<string, unknown>[] = [];
  let folder = false;
  for (const c of o.clusters) {
    const text = fakes[c.name].kubeconfig(c.name, c.wrongToken ? { token: 'not-the-token' } : {});
    if (c.inFolder) {
      files[`rancher/${c.name}.yaml`] = text;
      folder = true;
    } else {
      files[`kube/${c.name}.yaml`] = text;
      clusters.push({ kubeconfig: `kube/${c.name}.yaml` });
    }
  }
  if (folder) clusters.push({ kubeconfigDir: 'rancher' });
  const config = {
    zones: [{ apex: APEX, records: ['ns1 3600 IN A 127.0.0.1'] }],
    sources: { gracePeriod: '3s', watchdogSeconds: 20, backoff: { initial: '100ms', max: '400ms' }, ...o.sources },
    clusters,
    entries: o.entries.map((e) => ({ ...e, ttl: 30 })),
  };
  let g: Globaldns;
  try {
    g = await startGlobaldns({ configYaml: YAML.stringify(config), files, ipv6: false, args: ['--log-level', 'debug'] });
  } catch (e) {
    await Promise.all(Object.values(fakes).map((f) => f.stop()));
    throw e;
  }

  const a = async (name: string): Promise<string[] | string> => {
    const res = await udpExchange(g.port, buildQuery(name, { type: 'A', rd: false }), { timeoutMs: 500 });
    if (!res) return 'TIMEOUT';
    const m = decode(res.reply);
    const values = (m.answers ?? []).flatMap((r) => (r.type === 'A' ? [String(r.data)] : []));
    return values.length > 0 ? values.sort() : (m.rcode ?? 'NOERROR');
  };
  const same = (x: string[] | string, y: string[] | string) => JSON.stringify(x) === JSON.stringify(y);
  const world: World = {
    get g() {
      return g;
    },
    fakes,
    a,
    async until(name, want, timeoutMs = 8000) {
      const t0 = Date.now();
      let last: string[] | string = '';
      while (Date.now() - t0 < timeoutMs) {
        last = await a(name);
        if (same(last, want)) return Date.now() - t0;
        await sleep(25);
      }
      throw new Error(`${name}: wanted ${JSON.stringify(want)} within ${timeoutMs} ms, last answer ${JSON.stringify(last)}\n--- globaldns log (tail) ---\n${g.logs().split('\n').slice(-40).join('\n')}`);
    },
    async holds(name, want, ms) {
      const t0 = Date.now();
      while (Date.now() - t0 < ms) {
        const got = await a(name);
        if (!same(got, want)) throw new Error(`${name}: wanted ${JSON.stringify(want)} to hold for ${ms} ms, got ${JSON.stringify(got)} after ${Date.now() - t0} ms`);
        await sleep(50);
      }
    },
    logLines(re) {
      return g
        .logs()
        .split('\n')
        .flatMap((line) => {
          try {
            const j = JSON.parse(line) as { level: unknown; msg?: string };
            return typeof j.msg === 'string' && re.test(j.msg) ? [{ level: String(j.level), msg: j.msg }] : [];
          } catch {
            return [];
          }
        });
    },
    async restart() {
      g = await g.restart();
    },
    async close() {
      await g.cleanup();
      await Promise.all(Object.values(fakes).map((f) => f.stop()));
    },
  };
  return world;
}

export function ingress(o: { name: string; namespace?: string; hosts: string; ips: string[] }): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', annotations: { 'globaldns.io/hostname': o.hosts } },
    spec: { rules: [{ host: o.hosts.split(',')[0] }] },
    status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip })) } },
  };
}

export function lbService(o: { name: string; namespace?: string; hosts: string; ips: string[]; type?: string }): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: o.name, namespace: o.namespace ?? 'default', annotations: { 'globaldns.io/hostname': o.hosts } },
    spec: { type: o.type ?? 'LoadBalancer', ports: [{ port: 443 }] },
    status: { loadBalancer: { ingress: o.ips.map((ip) => ({ ip })) } },
  };
}

export function namespace(name: string, o: { project?: string; labels?: Record<string, string> } = {}): Record<string, unknown> {
  const labels: Record<string, string> = { ...o.labels };
  const annotations: Record<string, string> = {};
  if (o.project) {
    // As Rancher writes it: the label holds the project part, the annotation the cluster-qualified id.
    labels['field.cattle.io/projectId'] = o.project.split(':').at(-1) ?? o.project;
    annotations['field.cattle.io/projectId'] = o.project;
  }
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels, annotations } };
}
