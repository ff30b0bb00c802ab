// The status dashboard in headless Chromium, against a real `globaldns serve` and two fake
// clusters: a name added to a cluster appears on the open page within two seconds without a
// reload, and a cluster whose API server goes away shows as no longer Synced.
import test from 'ava';
import { chromium, type Browser } from 'playwright-core';
import { ingress, namespace, startWorld } from '../integration/kube-world.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

test('the dashboard shows a new name within 2 s and a cluster going down', async (t) => {
  t.timeout(120_000);
  const w = await startWorld({
    clusters: [{ name: 'east' }, { name: 'west' }],
    entries: [
      { fqdn: 'shop.example.test', targets: [{ cluster: 'east' }, { cluster: 'west' }] },
      { fqdn: 'new.example.test', targets: [{ cluster: 'west' }] },
    ],
    sources: { gracePeriod: '30s' },
    seed: {
      east: [namespace('shop'), ingress({ name: 'web', namespace: 'shop', hosts: 'shop.example.test', ips: ['192.0.2.10'] })],
      west: [namespace('shop'), ingress({ name: 'web', namespace: 'shop', hosts: 'shop.example.test', ips: ['192.0.2.20'] })],
    },
  });
  t.teardown(() => w.close());
  await w.until('shop.example.test', ['192.0.2.10', '192.0.2.20'], 15_000);

  let browser: Browser | undefined;
  t.teardown(() => browser?.close());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(w.g.adminUrl + '/');

  const names = page.locator('#names tbody tr');
  const clusterRow = (c: string) => page.locator(`#clusters tbody tr[data-key="${c}"]`);
  await page.locator('#names tbody tr[data-key="shop.example.test"]').waitFor({ timeout: 10_000 });
  t.regex((await page.locator('#names tbody tr[data-key="shop.example.test"]').innerText()).replace(/\s+/g, ' '), /shop\.example\.test up embedded east, west .*192\.0\.2\.10.*192\.0\.2\.20/);
  t.regex(await clusterRow('east').innerText(), /east\s+Synced/);
  t.regex(await page.locator('#ready').innerText(), /^ready$/);

  // A new name in west: on the page within two seconds of the apply, no reload.
  const before = await names.count();
  const t0 = Date.now();
  w.fakes.west.apply(ingress({ name: 'fresh', namespace: 'shop', hosts: 'new.example.test', ips: ['192.0.2.30'] }));
  const row = page.locator('#names tbody tr[data-key="new.example.test"]');
  await row.filter({ hasText: '192.0.2.30' }).waitFor({ timeout: 2000 });
  const shownAfter = Date.now() - t0;
  t.log(`new name shown ${shownAfter} ms after the apply`);
  t.true(shownAfter <= 2000);
  t.regex((await row.innerText()).replace(/\s+/g, ' '), /new\.example\.test up embedded west/);
  t.is(await names.count(), before, 'the entry was listed (unclaimed) before; now it is claimed, not duplicated');

  // east's API server goes away: the page shows east leaving Synced with the error.
  await w.fakes.east.goDown();
  await clusterRow('east').filter({ hasText: /Degraded|Lost/ }).waitFor({ timeout: 10_000 });
  t.regex(await clusterRow('east').innerText(), /ECONNREFUSED|no answer|closed|reset/i);
  t.regex(await clusterRow('west').innerText(), /west\s+Synced/);
  // Its endpoints are kept for the grace period: shop stays up through west.
  t.regex((await page.locator('#names tbody tr[data-key="shop.example.test"]').innerText()).replace(/\s+/g, ' '), /shop\.example\.test up/);
  // DASHBOARD_SCREENSHOT=/tmp/x.png keeps a picture of the page for a person to look at.
  if (process.env.DASHBOARD_SCREENSHOT) await page.screenshot({ path: process.env.DASHBOARD_SCREENSHOT, fullPage: true });
  t.deepEqual(errors, [], 'no script errors on the page');
});
