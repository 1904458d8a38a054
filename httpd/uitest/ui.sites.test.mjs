// The Sites page against a real collector and a forwarding-only probe
// (`ptpwatch --demo` with [forward] evaluate = false) that forwards to it:
// the collector lists the probe's site connected, with its interface on
// the probe's segment and counters that grow; the probe's UI shows its
// Sites page and nothing else (every other page's path lands there); and
// axe-core (WCAG 2.1 A and AA) finds no serious or critical violation on
// either, in both colour themes.
//
//   node ui.sites.test.mjs http://COLLECTOR:PORT/ ARTIFACT_DIR http://PROBE:PORT/ SITE SEGMENT

import AxeBuilder from '@axe-core/playwright';
import { openHarness } from './harness.mjs';

const { base, page, check, assert, shot, go, finish } = await openHarness(process.argv);
const probeBase = (process.argv[4] || '').replace(/\/$/, '');
const SITE = process.argv[5] || 'paris';
const SEGMENT = process.argv[6] || '3';

async function axe(name) {
  const res = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  console.log(`     ${name}: ${res.passes.length} rules pass, ${bad.length} serious or critical, ${res.violations.length - bad.length} minor`);
  if (bad.length) {
    await shot('axe-' + name.replace(/\W+/g, '-'));
    throw new Error(bad.map((v) => `${v.id} (${v.impact}, ${v.nodes.length}×: ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(' | ')})`).join('; '));
  }
}

async function setTheme(origin, theme) {
  await page.goto(origin + '/settings', { waitUntil: 'domcontentloaded' });
  await page.selectOption('#set-theme', theme);
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
}

const row = `#site-list tr[data-site="${SITE}"]`;

await check('collector: the probe site is listed connected, its interface on its segment, counters growing', async () => {
  await go('/sites');
  await page.locator(`${row}[data-connected="true"]`).waitFor({ timeout: 60000 });
  const seg = await page.locator(`${row} [data-segment]`).first().getAttribute('data-segment');
  assert(seg === SEGMENT, `interface on segment ${seg}, want ${SEGMENT}`);
  const frames = async () => Number((await page.locator(`${row} td`).nth(2).textContent()).replace(/\D/g, ''));
  const first = await frames();
  assert(first > 0, 'no frames counted');
  // The page refreshes itself: the count grows while the probe forwards.
  await page.waitForFunction(([r, n]) => Number(document.querySelector(r + ' td:nth-of-type(3)').textContent.replace(/\D/g, '')) > n, [row, first], { timeout: 30000 });
  assert(await page.locator('#site-refusals').count() === 1, 'no refusal counters');
  await shot('sites-collector');
  assert(await page.locator('#nav a[data-page="sites"][aria-current="page"]').count() === 1, 'the Sites link is not marked current');
  assert(await page.locator('#nav a[data-page="devices"]:visible').count() === 1, 'a collector lost its model pages');
});

await check('probe (evaluate = false): only its Sites page, with its link, queue and collector', async () => {
  await page.goto(probeBase + '/devices', { waitUntil: 'domcontentloaded' });
  await page.locator(`#probe-status[data-site="${SITE}"][data-connected="true"]`).waitFor({ timeout: 60000 });
  assert(new URL(page.url()).pathname === '/sites', 'landed on ' + page.url());
  const visible = await page.locator('#nav a:visible').evaluateAll((as) => as.map((a) => a.dataset.page));
  assert(JSON.stringify(visible) === '["sites"]', 'nav shows ' + visible);
  assert(await page.locator('#probe-queued').count() === 1, 'no queue depth');
  assert(await page.locator('#probe-collectors tbody tr').count() === 1, 'not one collector row');
  const text = await page.locator('#probe-status').textContent();
  assert(text.includes('forwarding only'), 'does not say it forwards only');
  await shot('sites-probe');
  // Any other page's path shows the same page.
  await page.goto(probeBase + '/hierarchy', { waitUntil: 'domcontentloaded' });
  await page.locator('#probe-status').waitFor();
  assert(await page.locator('#hierarchy').count() === 0, 'the hierarchy page drew on a forwarding-only probe');
});

for (const theme of ['dark', 'light']) {
  await check(`axe: collector Sites page, ${theme} theme`, async () => {
    await setTheme(base, theme);
    await go('/sites');
    await page.locator(row).waitFor();
    await axe(`collector-sites/${theme}`);
  });
  await check(`axe: probe Sites page, ${theme} theme`, async () => {
    // The forwarding-only probe has no Settings page: the theme is the
    // browser's setting, shared by origin, so set it with localStorage.
    await page.goto(probeBase + '/sites', { waitUntil: 'domcontentloaded' });
    await page.evaluate((t) => {
      const s = JSON.parse(localStorage.getItem('ptpwatch.settings') || '{}');
      s.theme = t;
      localStorage.setItem('ptpwatch.settings', JSON.stringify(s));
    }, theme);
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
    await page.locator('#probe-status').waitFor();
    await axe(`probe-sites/${theme}`);
  });
}

await finish();
