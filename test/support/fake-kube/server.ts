// The fake Kubernetes API server: HTTPS + bearer token (or client certificate), list/watch/get and
// writes for a few resource kinds, with fault hooks for tests.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { fakePki } from './certs.js';
import { jsonPatch, mergePatch, PatchError } from './patch.js';
import { allResources, defByKind, defByPath, isRecord, statusBody, type KubeObject, type ResourceDef } from './resources.js';
import { parseFieldSelector, parseLabelSelector, SelectorError, type Matcher } from './selectors.js';
import { ApiError, Store, type StoreEvent } from './store.js';

export interface FakeKubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  watch: boolean;
  at: number;
}

export interface FailMatch {
  method?: string;
  path?: string | RegExp;
  /** true: watch requests only; false: everything but watches */
  watch?: boolean;
}

export interface FakeKubeOptions {
  /** the bearer token the server accepts (default: a random one) */
  token?: string;
  /** with allowWatchBookmarks=true, send a BOOKMARK this often (default 0: never, except after sendInitialEvents) */
  bookmarkIntervalMs?: number;
  /** events kept for watch replay; older resourceVersions get 410 Expired (default 10000) */
  historyLimit?: number;
}

export interface FakeKube {
  readonly url: string;
  readonly caPem: string;
  readonly token: string;
  /** kubeconfig YAML with one cluster/user/context named `contextName` (default 'fake') */
  kubeconfig(contextName?: string, opts?: { token?: string; insecure?: boolean }): string;
  /** a client certificate (CN=fake-admin, O=system:masters) signed by the server's CA; the server accepts it instead of a token */
  clientCert(): { certPem: string; keyPem: string };
  /** `apiVersion` in the object picks between kinds of the same name (Event: `v1` or `events.k8s.io/v1`). */
  apply(obj: Record<string, unknown>): Record<string, unknown>;
  /** `apiVersion` only for kinds served in more than one group (default: the core one). */
  /** Removes the object now, finalizers or not (false when there was none). */
  remove(kind: string, namespace: string | undefined, name: string, apiVersion?: string): boolean;
  /**
   * Deletes as a DELETE request does: an object with finalizers gets `deletionTimestamp` and is
   * returned (it stays until an update removes its last finalizer); otherwise it goes now
   * (undefined).
   */
  delete(kind: string, namespace: string | undefined, name: string, apiVersion?: string): Record<string, unknown> | undefined;
  get(kind: string, namespace: string | undefined, name: string, apiVersion?: string): Record<string, unknown> | undefined;
  list(kind: string, apiVersion?: string): Record<string, unknown>[];
  resourceVersion(): string;
  closeWatches(): void;
  resetConnections(): void;
  /**
   * The next `count` requests are answered with `status`. With `match`, only requests of that
   * method and/or path (exact string or RegExp) count; others pass (a 409 on a `/status` PUT).
   */
  /** the next `count` requests (matching `match`) get `status` with a Status body saying `message` */
  failNext(status?: number, count?: number, match?: FailMatch, message?: string): void;
  compact(): void;
  goDown(ms?: number): Promise<void>;
  comeUp(): Promise<void>;
  /** send a BOOKMARK now on every open watch that allowed bookmarks */
  sendBookmarks(): void;
  readonly requests: FakeKubeRequest[];
  openWatchCount(): number;
  stop(): Promise<void>;
}

interface Watcher {
  res: ServerResponse;
  def: ResourceDef;
  ns: string | undefined;
  matches: Matcher;
  bookmarks: boolean;
  timers: NodeJS.Timeout[];
}

const MAX_BODY = 8 * 1024 * 1024;

function clone<T>(v: T): T {
  return structuredClone(v);
}

function sendJson(res: ServerResponse, code: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new ApiError(413, 'request entity too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ApiError(400, `the body is not valid JSON: ${(e as Error).message}`);
  }
}

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
}

interface Route {
  def: ResourceDef;
  ns: string | undefined;
  name: string | undefined;
  sub: 'status' | undefined;
}

class FakeKubeServer implements FakeKube {
  readonly requests: FakeKubeRequest[] = [];
  readonly token: string;
  readonly caPem: string;
  url = '';
  private port = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly watchers = new Set<Watcher>();
  private readonly store: Store;
  private failures: { status: number; count: number; match?: FailMatch; message?: string } = { status: 500, count: 0 };
  private downTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly bookmarkIntervalMs: number;

  constructor(
    private readonly pki: Awaited<ReturnType<typeof fakePki>>,
    opts: FakeKubeOptions,
  ) {
    this.token = opts.token ?? `fake-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
    this.caPem = pki.caPem;
    this.bookmarkIntervalMs = opts.bookmarkIntervalMs ?? 0;
    this.store = new Store(opts.historyLimit ?? 10000);
    this.store.listeners.add((e) => {
      for (const w of this.watchers) this.deliver(w, e);
    });
  }

  // ---- lifecycle ----

  private makeServer(): Server {
    const server = createServer(
      {
        key: this.pki.serverKeyPem,
        cert: this.pki.serverCertPem,
        ca: this.pki.caPem,
        requestCert: true,
        rejectUnauthorized: false,
      },
      (req, res) => {
        this.handle(req, res).catch((e: unknown) => {
          if (e instanceof ApiError) sendJson(res, e.code, e.status());
          else sendJson(res, 500, statusBody(500, `fake-kube: ${(e as Error).message ?? String(e)}`));
        });
      },
    );
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
    });
    server.on('tlsClientError', () => undefined);
    server.on('clientError', (_e, s: Socket) => s.destroy());
    return server;
  }

  async listen(port: number): Promise<void> {
    const server = this.makeServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const addr = server.address();
    if (addr === null || typeof addr === 'string') throw new Error('fake-kube: no address');
    this.port = addr.port;
    this.url = `https://127.0.0.1:${this.port}`;
  }

  private async closeServer(abrupt: boolean): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const w of [...this.watchers]) this.endWatch(w);
    for (const s of [...this.sockets]) {
      if (abrupt) s.resetAndDestroy();
      else s.destroy();
    }
    this.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async goDown(ms?: number): Promise<void> {
    if (this.downTimer) clearTimeout(this.downTimer);
    this.downTimer = undefined;
    await this.closeServer(false);
    if (ms !== undefined) {
      this.downTimer = setTimeout(() => {
        this.downTimer = undefined;
        this.comeUp().catch(() => undefined);
      }, ms);
      this.downTimer.unref();
    }
  }

  async comeUp(): Promise<void> {
    if (this.downTimer) clearTimeout(this.downTimer);
    this.downTimer = undefined;
    if (this.server || this.stopped) return;
    // the port was ours a moment ago; retry briefly in case the kernel is slow to let go
    for (let attempt = 0;; attempt++) {
      try {
        await this.listen(this.port);
        return;
      } catch (e) {
        if (attempt >= 20 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.downTimer) clearTimeout(this.downTimer);
    this.downTimer = undefined;
    await this.closeServer(false);
  }

  // ---- test-side API ----

  kubeconfig(contextName = 'fake', opts: { token?: string; insecure?: boolean } = {}): string {
    const n = yamlString(contextName);
    const clusterLines = opts.insecure
      ? ['    insecure-skip-tls-verify: true']
      : [`    certificate-authority-data: ${Buffer.from(this.caPem).toString('base64')}`];
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      `- name: ${n}`,
      '  cluster:',
      `    server: ${yamlString(this.url)}`,
      ...clusterLines,
      'users:',
      `- name: ${n}`,
      '  user:',
      `    token: ${yamlString(opts.token ?? this.token)}`,
      'contexts:',
      `- name: ${n}`,
      '  context:',
      `    cluster: ${n}`,
      `    user: ${n}`,
      `current-context: ${n}`,
      '',
    ].join('\n');
  }

  clientCert(): { certPem: string; keyPem: string } {
    return { certPem: this.pki.clientCertPem, keyPem: this.pki.clientKeyPem };
  }

  apply(obj: Record<string, unknown>): Record<string, unknown> {
    if (typeof obj.kind !== 'string') throw new Error('fake-kube apply: the object needs a kind');
    const def = defByKind(obj.kind, typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined);
    const input = this.store.normalize(def, clone(obj), undefined);
    const exists = this.store.get(def, input.metadata.namespace, input.metadata.name);
    const stored = exists
      ? this.store.replace(def, input, { scope: 'all', checkVersion: false })
      : this.store.create(def, input, { keepStatus: true });
    return clone(stored);
  }

  remove(kind: string, namespace: string | undefined, name: string, apiVersion?: string): boolean {
    const def = defByKind(kind, apiVersion);
    if (!this.store.get(def, namespace ?? 'default', name)) return false;
    this.store.remove(def, def.namespaced ? (namespace ?? 'default') : undefined, name, { force: true });
    return true;
  }

  delete(kind: string, namespace: string | undefined, name: string, apiVersion?: string): Record<string, unknown> | undefined {
    const def = defByKind(kind, apiVersion);
    if (!this.store.get(def, namespace ?? 'default', name)) return undefined;
    const o = this.store.remove(def, def.namespaced ? (namespace ?? 'default') : undefined, name);
    return this.store.get(def, namespace ?? 'default', name) ? clone(o) : undefined;
  }

  get(kind: string, namespace: string | undefined, name: string, apiVersion?: string): Record<string, unknown> | undefined {
    const def = defByKind(kind, apiVersion);
    const o = this.store.get(def, namespace ?? 'default', name);
    return o ? clone(o) : undefined;
  }

  list(kind: string, apiVersion?: string): Record<string, unknown>[] {
    return this.store.list(defByKind(kind, apiVersion)).map((o) => clone(o));
  }

  resourceVersion(): string {
    return String(this.store.rv);
  }

  closeWatches(): void {
    for (const w of [...this.watchers]) this.endWatch(w);
  }

  resetConnections(): void {
    for (const w of [...this.watchers]) this.forgetWatch(w);
    for (const s of [...this.sockets]) s.resetAndDestroy();
    this.sockets.clear();
  }

  failNext(status = 500, count = 1, match?: FailMatch, message?: string): void {
    this.failures = { status, count, match, message };
  }

  private failureApplies(method: string, path: string, watch: boolean): boolean {
    const m = this.failures.match;
    if (this.failures.count <= 0) return false;
    if (!m) return true;
    if (m.method !== undefined && m.method.toUpperCase() !== method) return false;
    if (m.path !== undefined && (typeof m.path === 'string' ? m.path !== path : !m.path.test(path))) return false;
    if (m.watch !== undefined && m.watch !== watch) return false;
    return true;
  }

  compact(): void {
    this.store.compact();
  }

  sendBookmarks(): void {
    for (const w of this.watchers) if (w.bookmarks) this.bookmark(w);
  }

  openWatchCount(): number {
    return this.watchers.size;
  }

  // ---- HTTP ----

  private authenticated(req: IncomingMessage): boolean {
    const auth = req.headers.authorization;
    if (auth !== undefined) return auth === `Bearer ${this.token}`;
    const sock = req.socket as TLSSocket;
    return sock.authorized === true && Object.keys(sock.getPeerCertificate() ?? {}).length > 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = v;
    const method = (req.method ?? 'GET').toUpperCase();
    const watch = method === 'GET' && (query.watch === 'true' || query.watch === '1');
    this.requests.push({ method, path: url.pathname, query, watch, at: Date.now() });

    if (this.failureApplies(method, url.pathname, watch)) {
      this.failures.count--;
      const code = this.failures.status;
      sendJson(res, code, statusBody(code, this.failures.message ?? `fake-kube: injected failure (${code})`));
      req.resume();
      return;
    }
    if (!this.authenticated(req)) {
      sendJson(res, 401, statusBody(401, 'Unauthorized'));
      req.resume();
      return;
    }

    const segs = url.pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
    if (this.discovery(segs, method, res)) return;
    const route = this.route(segs);
    if (!route) {
      sendJson(res, 404, statusBody(404, 'the server could not find the requested resource'));
      return;
    }
    const { def, ns, name, sub } = route;
    const dryRun = query.dryRun !== undefined && query.dryRun !== '';

    if (name === undefined) {
      if (method === 'GET') {
        const matches = this.matcher(query);
        if (watch) this.startWatch(req, res, def, ns, matches, query);
        else this.sendList(res, def, ns, matches);
        return;
      }
      if (method === 'POST') {
        if (def.namespaced && ns === undefined) throw new ApiError(405, `POST is not supported on the cluster-wide ${def.plural} collection`);
        const input = this.store.normalize(def, parseJson(await readBody(req)), ns);
        sendJson(res, 201, this.store.create(def, input, { keepStatus: false, dryRun }));
        return;
      }
      throw new ApiError(405, `the server does not allow this method on the requested resource`);
    }

    switch (method) {
      case 'GET': {
        const o = this.store.get(def, ns, name);
        if (!o) throw new ApiError(404, `${def.group === '' ? def.plural : `${def.plural}.${def.group}`} "${name}" not found`, 'NotFound', { name, group: def.group, kind: def.plural });
        sendJson(res, 200, o);
        return;
      }
      case 'PUT': {
        const input = this.store.normalize(def, parseJson(await readBody(req)), ns);
        sendJson(res, 200, this.store.replace(def, input, { scope: sub === 'status' ? 'status' : 'main', checkVersion: true, name, dryRun }));
        return;
      }
      case 'PATCH': {
        const body = await readBody(req);
        const ctype = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
        const old = this.store.get(def, ns, name);
        if (!old) throw new ApiError(404, `${def.group === '' ? def.plural : `${def.plural}.${def.group}`} "${name}" not found`, 'NotFound', { name, group: def.group, kind: def.plural });
        const patch = parseJson(body);
        let patched: unknown;
        try {
          if (ctype === 'application/merge-patch+json' || ctype === 'application/strategic-merge-patch+json') {
            patched = mergePatch(old, patch);
          } else if (ctype === 'application/json-patch+json') {
            patched = jsonPatch(old, patch);
          } else if (ctype === 'application/apply-patch+yaml') {
            throw new ApiError(415, 'server-side apply is not supported by fake-kube');
          } else {
            throw new ApiError(415, `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json`);
          }
        } catch (e) {
          if (e instanceof PatchError) throw new ApiError(422, e.message, 'Invalid');
          throw e;
        }
        const input = this.store.normalize(def, patched, ns);
        // a patch carries a resourceVersion precondition only if it sets one itself
        const patchRv = isRecord(patch) && isRecord(patch.metadata) ? patch.metadata.resourceVersion : undefined;
        const checkVersion = Array.isArray(patch) ? input.metadata.resourceVersion !== old.metadata.resourceVersion : patchRv !== undefined;
        sendJson(res, 200, this.store.replace(def, input, { scope: sub === 'status' ? 'status' : 'main', checkVersion, name, dryRun }));
        return;
      }
      case 'DELETE': {
        if (sub) throw new ApiError(405, 'the server does not allow this method on the requested resource');
        req.resume();
        sendJson(res, 200, this.store.remove(def, ns, name, { dryRun }));
        return;
      }
      default:
        throw new ApiError(405, 'the server does not allow this method on the requested resource');
    }
  }

  private matcher(query: Record<string, string>): Matcher {
    try {
      const labels = parseLabelSelector(query.labelSelector);
      const fields = parseFieldSelector(query.fieldSelector);
      return (o) => labels(o) && fields(o);
    } catch (e) {
      if (e instanceof SelectorError) throw new ApiError(400, e.message);
      throw e;
    }
  }

  /** /api/v1/[namespaces/{ns}/]{plural}[/{name}[/status]] and /apis/{group}/{version}/... */
  private route(segs: string[]): Route | undefined {
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api' && segs.length >= 3) {
      group = '';
      version = segs[1]!;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis' && segs.length >= 4) {
      group = segs[1]!;
      version = segs[2]!;
      rest = segs.slice(3);
    } else {
      return undefined;
    }
    let ns: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') {
      ns = rest[1];
      rest = rest.slice(2);
    }
    const def = defByPath(group, version, rest[0]);
    if (!def || rest.length > 3) return undefined;
    if (!def.namespaced && ns !== undefined) return undefined;
    const name = rest[1];
    if (def.namespaced && ns === undefined && name !== undefined) return undefined;
    let sub: 'status' | undefined;
    if (rest.length === 3) {
      if (rest[2] !== 'status' || !def.hasStatus) return undefined;
      sub = 'status';
    }
    return { def, ns, name, sub };
  }

  private discovery(segs: string[], method: string, res: ServerResponse): boolean {
    if (method !== 'GET') return false;
    const path = '/' + segs.join('/');
    const all = allResources();
    const groups = [...new Set(all.filter((r) => r.group !== '').map((r) => r.group))];
    const versionsOf = (g: string) => [...new Set(all.filter((r) => r.group === g).map((r) => r.version))];
    const groupVersion = (g: string, v: string) => ({ groupVersion: `${g}/${v}`, version: v });
    const resourceList = (group: string, version: string) => ({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: group === '' ? version : `${group}/${version}`,
      resources: all.filter((r) => r.group === group && r.version === version).flatMap((r) => [
        {
          name: r.plural,
          singularName: r.singular,
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
          ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
        },
        ...(r.hasStatus ? [{ name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] }] : []),
      ]),
    });
    const groupInfo = (g: string) => {
      const versions = versionsOf(g).map((v) => groupVersion(g, v));
      return { name: g, versions, preferredVersion: versions[0] };
    };
    if (path === '/version') {
      sendJson(res, 200, {
        major: '1',
        minor: '30',
        gitVersion: 'v1.30.0-fake',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2024-01-01T00:00:00Z',
        goVersion: 'go1.22.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    } else if (path === '/healthz' || path === '/readyz' || path === '/livez') {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('ok');
    } else if (path === '/api') {
      sendJson(res, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `127.0.0.1:${this.port}` }],
      });
    } else if (path === '/apis') {
      sendJson(res, 200, {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: groups.map(groupInfo),
      });
    } else if (segs[0] === 'apis' && segs.length === 2 && groups.includes(segs[1])) {
      sendJson(res, 200, { kind: 'APIGroup', apiVersion: 'v1', ...groupInfo(segs[1]) });
    } else if (path === '/api/v1') {
      sendJson(res, 200, resourceList('', 'v1'));
    } else if (segs[0] === 'apis' && segs.length === 3 && groups.includes(segs[1]) && versionsOf(segs[1]).includes(segs[2])) {
      sendJson(res, 200, resourceList(segs[1], segs[2]));
    } else {
      return false;
    }
    return true;
  }

  private sendList(res: ServerResponse, def: ResourceDef, ns: string | undefined, matches: Matcher): void {
    const items = this.store.list(def).filter((o) => (ns === undefined || o.metadata.namespace === ns) && matches(o));
    sendJson(res, 200, {
      kind: def.listKind,
      apiVersion: def.apiVersion,
      metadata: { resourceVersion: String(this.store.rv) },
      items,
    });
  }

  // ---- watch ----

  private startWatch(
    req: IncomingMessage,
    res: ServerResponse,
    def: ResourceDef,
    ns: string | undefined,
    matches: Matcher,
    query: Record<string, string>,
  ): void {
    const rvText = query.resourceVersion ?? '';
    if (rvText !== '' && !/^\d+$/.test(rvText)) throw new ApiError(400, `invalid resource version: ${rvText}`);
    const w: Watcher = { res, def, ns, matches, bookmarks: query.allowWatchBookmarks === 'true', timers: [] };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const inScope = (o: KubeObject) => (ns === undefined || o.metadata.namespace === ns) && matches(o);
    const initial = rvText === '' || rvText === '0' || query.sendInitialEvents === 'true';
    if (initial) {
      // "start at most recent": synthetic ADDED for every current object
      for (const o of this.store.list(def)) if (inScope(o)) this.write(w, 'ADDED', o);
      if (query.sendInitialEvents === 'true') {
        this.write(w, 'BOOKMARK', {
          kind: def.kind,
          apiVersion: def.apiVersion,
          metadata: { resourceVersion: String(this.store.rv), annotations: { 'k8s.io/initial-events-end': 'true' } },
        });
      }
    } else {
      const events = this.store.eventsAfter(Number(rvText));
      if (events === 'expired') {
        this.write(w, 'ERROR', statusBody(410, `too old resource version: ${rvText} (${this.store.compactedRv})`, 'Expired'));
        res.end();
        return;
      }
      for (const e of events) this.deliver(w, e);
    }
    this.watchers.add(w);
    const forget = () => this.forgetWatch(w);
    res.on('close', forget);
    req.on('close', forget);
    res.on('error', forget);
    const timeout = Number(query.timeoutSeconds ?? '');
    if (Number.isFinite(timeout) && timeout > 0) w.timers.push(setTimeout(() => this.endWatch(w), timeout * 1000).unref());
    if (w.bookmarks && this.bookmarkIntervalMs > 0) w.timers.push(setInterval(() => this.bookmark(w), this.bookmarkIntervalMs).unref());
  }

  private write(w: Watcher, type: string, object: unknown): void {
    if (w.res.destroyed || w.res.writableEnded) return;
    w.res.write(JSON.stringify({ type, object }) + '\n');
  }

  private bookmark(w: Watcher): void {
    this.write(w, 'BOOKMARK', { kind: w.def.kind, apiVersion: w.def.apiVersion, metadata: { resourceVersion: String(this.store.rv) } });
  }

  private deliver(w: Watcher, e: StoreEvent): void {
    if (e.def !== w.def) return;
    if (w.ns !== undefined && e.obj.metadata.namespace !== w.ns) return;
    const now = w.matches(e.obj);
    const before = e.prev !== undefined && w.matches(e.prev);
    switch (e.type) {
      case 'ADDED':
        if (now) this.write(w, 'ADDED', e.obj);
        break;
      case 'MODIFIED':
        if (now && before) this.write(w, 'MODIFIED', e.obj);
        else if (now) this.write(w, 'ADDED', e.obj);
        else if (before && e.prev) {
          // left the selection: DELETED with the last matching state at the new resourceVersion
          this.write(w, 'DELETED', { ...e.prev, metadata: { ...e.prev.metadata, resourceVersion: String(e.rv) } });
        }
        break;
      case 'DELETED':
        if (now) this.write(w, 'DELETED', e.obj);
        break;
    }
  }

  private forgetWatch(w: Watcher): void {
    for (const t of w.timers) clearTimeout(t);
    w.timers = [];
    this.watchers.delete(w);
  }

  private endWatch(w: Watcher): void {
    this.forgetWatch(w);
    if (!w.res.writableEnded) w.res.end();
  }
}

/** Starts a fake API server on 127.0.0.1 (random port) with a per-process throwaway CA. */
export async function startFakeKube(opts: FakeKubeOptions = {}): Promise<FakeKube> {
  const pki = await fakePki();
  const server = new FakeKubeServer(pki, opts);
  await server.listen(0);
  return server;
}
