// Accessibility checks of the web UI against a running `ptpwatch --demo`:
// axe-core (WCAG 2.1 A and AA rules) on every page in both colour themes,
// with no serious or critical violations; and the keyboard: rows, tree
// nodes, column headers and legend toggles reachable and operable, the
// field↔byte highlighting by focus, and the Overview's capture buttons
// keeping the focus while the page redraws them.
//
//   node ui.a11y.test.mjs http://127.0.0.1:PORT/ ARTIFACT_DIR

import AxeBuilder from '@axe-core/playwright';
import { openHarness } from './harness.mjs';

const GM = '00b0ae.fffe.002401';
const SCOPE = 'seg0 v2 domain 24 sdo 1 IEEE 802.3';

const { base, page, check, assert, shot, go, finish, expectError } = await openHarness(process.argv);

// setTheme chooses the colour theme as this browser's setting.
async function setTheme(theme) {
  await go('/settings');
  await page.selectOption('#set-theme', theme);
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
}

// The pages, each with what shows that it has drawn its content.
await go('/');
const scopeId = await page.evaluate(async (name) => {
  for (let i = 0; i < 100; i++) {
    const sc = (await fetch('/api/v1/scopes').then((r) => r.json())).find((x) => x.name === name);
    if (sc) return sc.id;
    await new Promise((r) => setTimeout(r, 200));
  }
  return null;
}, SCOPE);

const pages = [
  { name: 'overview', path: '/', ready: '.scope .followers', then: async () => {
    // the health verdicts and a finding with its evidence list open
    await page.locator('.scope .finding details.evidence').first().waitFor({ timeout: 30000 });
    await page.locator('.scope .finding details.evidence summary').first().click();
    await page.locator('.scope .finding details.evidence[open] a.evidence').first().waitFor();
    await page.locator('#health-verdict[data-verdict]').waitFor();
  } },
  { name: 'packets', path: '/packets', ready: '#packet-list .row', then: async () => {
    // Open a packet whose row is inside the list's viewport; on a busy
    // machine the live list may re-render between locating and clicking,
    // so try again until the field tree shows, within a deadline.
    for (let attempt = 0; ; attempt++) {
      const idx = await page.evaluate(() => {
        const list = document.querySelector('#packet-list');
        const box = list.getBoundingClientRect();
        return [...list.querySelectorAll('.row')].findIndex((r) => {
          const b = r.getBoundingClientRect();
          return b.top >= box.top + 30 && b.bottom <= box.bottom;
        });
      });
      await page.locator('#packet-list .row').nth(Math.max(0, idx)).click();
      try {
        await page.locator('#field-tree .f').first().waitFor({ timeout: 5000 });
        return;
      } catch (e) {
        if (attempt >= 4) throw e;
      }
    }
  } },
  { name: 'devices', path: '/devices', ready: '#device-list .row' },
  { name: 'device', path: '/devices/' + GM, ready: '#instances tr[data-instance]' },
  { name: 'hierarchy', path: '/hierarchy', ready: '#hierarchy .trow[data-port]' },
  { name: 'scope', path: '/scopes/' + scopeId, ready: '#scope-instances tr[data-instance]' },
  { name: 'events', path: '/events', ready: '#event-list .row', then: async () => {
    await page.locator('#event-list .row').first().click();
    await page.locator('#event-detail').waitFor();
  } },
  { name: 'incidents', path: '/incidents', ready: '#incident-list' },
  { name: 'settings', path: '/settings', ready: '#set-theme' },
  { name: 'sites', path: '/sites', ready: '#sites-none' },
  { name: 'management', path: '/management', ready: '#mgmt-nodes', then: async () => {
    // The demo answers management: a sweep fills the node table (one
    // sweep, in the first theme; the second finds its nodes).
    if (!(await page.locator('#mgmt-nodes tr[data-clock]').count())) await page.locator('#mg-sweep:enabled').click();
    await page.locator('#mgmt-nodes tr[data-clock]').first().waitFor({ timeout: 30000 });
  } },
  { name: '404', path: '/no-such-page', ready: 'main h1' },
];
expectError(base + '/no-such-page');

for (const theme of ['dark', 'light']) {
  await setTheme(theme);
  for (const p of pages) {
    await check(`axe: ${p.name} page, ${theme} theme, has no serious or critical violations`, async () => {
      await go(p.path);
      await page.locator(p.ready).first().waitFor();
      if (p.then) await p.then();
      const res = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
      const minor = res.violations.filter((v) => !bad.includes(v));
      console.log(`     ${p.name}/${theme}: ${res.passes.length} rules pass, ${bad.length} serious or critical, ${minor.length} minor` +
        (minor.length ? ' (' + minor.map((v) => v.id).join(', ') + ')' : ''));
      if (bad.length) {
        await shot(`axe-${p.name}-${theme}`);
        throw new Error(bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ') + ' ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 160)).join(' | ')})`).join('; '));
      }
    });
  }
}
await setTheme('dark');

// tabTo presses Tab until the focused element satisfies pred (a function
// of document.activeElement run in the page), at most max times.
async function tabTo(pred, what, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(pred)) return;
  }
  throw new Error(`Tab did not reach ${what} in ${max} presses`);
}

// redraws counts, in the page, the changes to sel's children.
const countRedraws = (sel) => page.evaluate((s) => {
  window.__redraws = 0;
  new MutationObserver(() => window.__redraws++).observe(document.querySelector(s), { childList: true, subtree: true });
}, sel);
const redrawn = (n) => page.waitForFunction((k) => window.__redraws >= k, n);

await check('keyboard: packet rows by Tab and Enter; fields and bytes light each other by focus', async () => {
  await go('/packets?type=Sync');
  await page.locator('#packet-list .row').first().waitFor();
  await page.click('#pause');
  await page.focus('#f-type');
  await tabTo(() => document.activeElement?.matches('#packet-list .row'), 'a packet row');
  await page.keyboard.press('ArrowDown');
  const frame = await page.evaluate(() => document.activeElement.matches('#packet-list .row') && document.activeElement.dataset.frame);
  assert(frame, 'ArrowDown left the packet rows');
  await page.keyboard.press('Enter');
  await page.locator('#packet-detail .dhead b', { hasText: 'Frame ' + frame }).waitFor();
  // Field → bytes by focus.
  await tabTo(() => document.activeElement?.matches('#field-tree .f'), 'the field tree');
  for (let i = 0; i < 200 && await page.evaluate(() => document.activeElement.dataset.name) !== 'sequenceId'; i++) await page.keyboard.press('ArrowDown');
  const seq = await page.evaluate(() => ({ name: document.activeElement.dataset.name, off: Number(document.activeElement.dataset.off) }));
  assert(seq.name === 'sequenceId', 'arrows reached ' + seq.name);
  const lit = await page.locator('#hex-dump .b.hl').evaluateAll((bs) => bs.map((b) => Number(b.dataset.i)));
  assert(JSON.stringify(lit) === JSON.stringify([seq.off, seq.off + 1]), `focus on sequenceId lit bytes ${lit}`);
  // The offsets are numbered as the hex dump numbers its lines.
  const where = await page.locator('#field-tree .f[data-name="sequenceId"] .o').first().textContent();
  assert(where.startsWith('@' + seq.off.toString(16).padStart(4, '0') + ', 2 B'), 'field offset written ' + where);
  // Byte → fields by focus (sequenceId again: the Sync picked may be a
  // PTPv1 one, which has no domainNumber).
  const doff = seq.off;
  await tabTo(() => document.activeElement?.matches('#hex-dump .b'), 'the hex dump');
  for (let i = 0; i < doff; i++) await page.keyboard.press('ArrowRight');
  assert(await page.evaluate(() => Number(document.activeElement.dataset.i)) === doff, 'arrows did not reach byte ' + doff);
  const names = await page.locator('#field-tree .f.hl').evaluateAll((fs) => fs.map((f) => f.dataset.name));
  assert(names.length === 1 && names[0] === 'sequenceId', `focus on byte ${doff} lit fields ${names}`);
  await page.click('#pause');
});

await check('keyboard: event rows, device column headers and device rows', async () => {
  await go('/events');
  await page.locator('#event-list .row').first().waitFor();
  await page.focus('#ev-type');
  await tabTo(() => document.activeElement?.matches('#event-list .row'), 'an event row');
  await page.keyboard.press('ArrowDown');
  const seq = await page.evaluate(() => document.activeElement.dataset.seq);
  await page.keyboard.press('Enter');
  await page.waitForFunction((s) => new URL(location.href).searchParams.get('seq') === s, seq);
  await page.locator('#event-detail').waitFor();

  await go('/devices');
  await page.locator('#device-list .row').first().waitFor();
  await page.focus('#dev-search');
  await tabTo(() => document.activeElement?.matches('#device-list .head [data-key="vendor"]'), 'the Vendor column header');
  await page.keyboard.press('Enter');
  await page.locator('#device-list .head [data-key="vendor"].sorted').waitFor();
  await page.keyboard.press(' ');
  await page.locator('#device-list .head [data-key="vendor"].sorted.desc').waitFor();
  await tabTo(() => document.activeElement?.matches('#device-list .row'), 'a device row');
  await page.keyboard.press('End');
  const id = await page.evaluate(() => document.activeElement.dataset.id);
  await page.keyboard.press('Enter');
  await page.waitForURL('**/devices/' + id);
});

await check('keyboard: legend toggles work and keep the focus; the capture buttons keep it while redrawn', async () => {
  await go('/');
  await page.locator('#rates .legend [data-type="Sync"]').waitFor();
  await tabTo(() => document.activeElement?.matches('#rates .legend [data-type="Sync"]'), 'the Sync legend toggle');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => !document.querySelector('#rates polyline[data-type="Sync"]') &&
    document.querySelector('#rates .legend [data-type="Sync"]').getAttribute('aria-pressed') === 'false');
  await countRedraws('#rates .legend');
  await redrawn(2);
  assert(await page.evaluate(() => document.activeElement?.dataset.type) === 'Sync', 'the legend toggle lost the focus when redrawn');
  await page.keyboard.press(' ');
  await page.locator('#rates polyline[data-type="Sync"]').waitFor({ state: 'attached' });
  // The log scale says so on its axis.
  await page.check('#chart-log');
  await page.locator('#rates text.unit', { hasText: 'pkt/s, log scale' }).waitFor({ state: 'attached' });
  await page.uncheck('#chart-log');
  await page.locator('#rates text.unit', { hasText: /^pkt\/s$/ }).waitFor({ state: 'attached' });
  // The capture buttons.
  await page.focus('#cap-clear');
  await countRedraws('#capture');
  await redrawn(3);
  assert(await page.evaluate(() => document.activeElement?.id) === 'cap-clear', 'Clear buffer lost the focus: ' + await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 80)));
});

await check('the status bar, redrawn every second, is no live region: screen readers are not told each second', async () => {
  await go('/overview');
  await page.locator('#st-rate').waitFor();
  const live = await page.evaluate(() => {
    const isLive = (e) => (e.getAttribute('aria-live') || 'off') !== 'off' || ['status', 'log', 'alert', 'timer', 'marquee'].includes(e.getAttribute('role'));
    const bar = document.querySelector('#status');
    const found = [];
    for (let e = bar; e; e = e.parentElement) if (isLive(e)) found.push(e.id || e.tagName);
    for (const e of bar.querySelectorAll('*')) if (isLive(e)) found.push(e.id || e.tagName);
    return found;
  });
  assert(!live.length, 'live regions in or around the status bar: ' + live.join(', '));
});

await finish();
