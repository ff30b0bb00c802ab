/**
 * The status dashboard: one self-contained page (inline CSS and JS, no framework, no external
 * request) that polls `/api/v1/status` every second and redraws. Kept as a string in a module
 * so the build ships it with the code. Every value from the report goes in through
 * `textContent`: names and error messages come from cluster objects and must not become markup.
 */
export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>globaldns status</title>
<style>
  :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --muted: #57606a; --line: #d0d7de; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1f2328; }
  h1 { font-size: 1.3rem; margin: 0 0 .3rem; }
  h2 { font-size: 1.05rem; margin: 1.4rem 0 .4rem; }
  #summary { color: var(--muted); }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
  th { font-weight: 600; background: #f6f8fa; }
  td.mono, span.mono { font-family: ui-monospace, monospace; font-size: 13px; }
  .badge { display: inline-block; padding: 0 .45rem; border-radius: 1rem; font-size: 12px; font-weight: 600; color: #fff; }
  .up, .Synced, .ready { background: var(--ok); }
  .stale, .Syncing, .Degraded, .unclaimed { background: var(--warn); }
  .down, .Lost, .notready, .error { background: var(--bad); }
  .healthy { background: var(--ok); }
  .unknown { background: var(--warn); }
  .unhealthy, .alldown { background: var(--bad); }
  .probe { margin-bottom: .15rem; }
  .err { color: var(--bad); }
  .muted { color: var(--muted); }
  #conn.error { color: #fff; padding: 0 .4rem; }
</style>
</head>
<body>
<h1>globaldns <span id="version" class="muted"></span> <span id="ready" class="badge"></span></h1>
<div id="summary"></div> <div id="conn" class="muted"></div>
<h2>Clusters</h2>
<table id="clusters"><thead><tr><th>Cluster</th><th>State</th><th>Last event</th><th>Watch restarts</th><th>Last error</th></tr></thead><tbody></tbody></table>
<h2>Providers</h2>
<table id="providers"><thead><tr><th>Provider</th><th>Pending</th><th>Last sync</th><th>Last error</th></tr></thead><tbody></tbody></table>
<h2>Global names</h2>
<table id="names"><thead><tr><th>Name</th><th>Health</th><th>Provider</th><th>Clusters</th><th>Endpoints</th><th>Endpoint health</th><th>Sync</th><th>Last error</th></tr></thead><tbody></tbody></table>
<script>
"use strict";
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function badge(text, cls) { return el('span', text, 'badge ' + cls); }
function row(cells, key) {
  const tr = document.createElement('tr');
  if (key) tr.dataset.key = key;
  for (const c of cells) {
    const td = document.createElement('td');
    if (c instanceof Node) td.appendChild(c); else td.textContent = c === undefined ? '' : String(c);
    tr.appendChild(td);
  }
  return tr;
}
function fill(id, rows, empty) {
  const body = document.querySelector('#' + id + ' tbody');
  body.replaceChildren(...rows);
  if (rows.length === 0) {
    const tr = row([empty]);
    tr.firstChild.colSpan = document.querySelectorAll('#' + id + ' th').length;
    tr.firstChild.className = 'muted';
    body.appendChild(tr);
  }
}
function endpoints(n) {
  const box = document.createElement('div');
  for (const e of n.endpoints) {
    const line = el('div', e.cluster + ' ' + e.namespace + '/' + e.kind + '/' + e.name + ' → ' + (e.targets.join(', ') || 'no address'), e.accepted ? 'mono' : 'mono err');
    if (!e.accepted) line.title = e.rejection || 'rejected';
    box.appendChild(line);
  }
  return box;
}
function ago(ms) {
  const d = Math.max(0, ms);
  if (d < 60000) return Math.floor(d / 1000) + ' s';
  if (d < 3600000) return Math.floor(d / 60000) + ' min';
  if (d < 86400000) return Math.floor(d / 3600000) + ' h';
  return Math.floor(d / 86400000) + ' d';
}
// Per endpoint address: its health, since when, whether the answer holds it, the last probe.
function checks(n, now) {
  const h = n.endpointHealth;
  if (!h) return '–';
  const box = document.createElement('div');
  box.appendChild(el('div', h.healthy + '/' + h.total + ' healthy' + (h.activeGroup !== undefined && !h.allDown ? ' · answering priority ' + h.activeGroup : ''), 'muted summary'));
  if (h.allDown) box.appendChild(badge(h.servfail ? 'all down: SERVFAIL' : 'all down: answering all', 'alldown'));
  for (const e of h.endpoints) {
    const line = el('div', undefined, 'mono probe');
    line.dataset.address = e.address;
    line.appendChild(badge(e.health, e.health));
    let text = ' ' + e.cluster + ' ' + e.address + ' · priority ' + e.priority + ' · ' + (e.served ? 'answered' : 'not answered');
    if (e.since !== undefined) text += ' · since ' + ago(now - e.since) + ' ago';
    if (e.lastProbe) text += ' · last probe ' + (e.lastProbe.ok ? 'passed' : 'failed') + ': ' + e.lastProbe.reason;
    if (e.vantages) text += ' · agree: ' + (e.vantages.agree.join(', ') || 'none') + (e.vantages.disagree.length ? '; disagree: ' + e.vantages.disagree.join(', ') : '');
    line.appendChild(document.createTextNode(text));
    box.appendChild(line);
  }
  return box;
}
function render(r) {
  document.getElementById('version').textContent = r.version;
  const ready = document.getElementById('ready');
  ready.textContent = r.ready ? 'ready' : 'not ready';
  ready.className = 'badge ' + (r.ready ? 'ready' : 'notready');
  const leader = r.leader ? (r.leader.isLeader ? ' · leader' : ' · follower of ' + (r.leader.leader || 'none')) : '';
  document.getElementById('summary').textContent = r.names.length + ' names, ' + r.clusters.length + ' clusters' + leader + ' · updated ' + new Date(r.generatedAt).toLocaleTimeString();
  fill('clusters', r.clusters.map((c) => row([c.cluster, badge(c.phase, c.phase), c.lastEventAgeSeconds === undefined ? '–' : c.lastEventAgeSeconds + ' s ago', c.watchRestarts, el('span', c.lastError || '', 'err')], c.cluster)), 'no clusters');
  fill('providers', r.providers.map((p) => row([p.provider, p.pending, p.lastSyncAt ? new Date(p.lastSyncAt).toLocaleTimeString() : '–', el('span', p.lastError || '', 'err')], p.provider)), 'embedded server only');
  const now = Date.parse(r.generatedAt);
  fill('names', r.names.map((n) => row([el('span', n.fqdn, 'mono'), badge(n.health, n.health), n.provider || '–', n.clusters.join(', ') || '–', endpoints(n), checks(n, now), n.sync ? n.sync.reason : '–', el('span', n.lastError || '', 'err')], n.fqdn)), 'no names yet');
}
async function poll() {
  const conn = document.getElementById('conn');
  try {
    const res = await fetch('/api/v1/status', { cache: 'no-store' });
    if (!res.ok) throw new Error('HTTP ' + res.status);
    render(await res.json());
    conn.textContent = '';
    conn.className = 'muted';
  } catch (e) {
    conn.textContent = 'status unavailable: ' + e.message;
    conn.className = 'badge error';
  } finally {
    setTimeout(poll, 1000);
  }
}
poll();
</script>
</body>
</html>
`;
