// Browser checks of the Alarms and Notifications pages against
// `ptpwatch --demo` with a custom alarm (gm-class, firing on every scope)
// and two webhook channels (hook, to a receiver; dead, to a closed port):
// acknowledging an instance with a note, its history, creating, changing,
// test-firing and deleting a definition through the form; each channel's
// outbox depth, deliveries and last error, and a test notification
// delivered from the Test button; axe-core (WCAG 2.1 A/AA) on both pages
// in both themes.
//
//   node ui.alarms.test.mjs http://127.0.0.1:PORT/ ARTIFACT_DIR

import AxeBuilder from '@axe-core/playwright';
import { openHarness } from './harness.mjs';

const { page, check, assert, shot, go, finish } = await openHarness(process.argv);
page.on('dialog', (d) => d.accept());

const api = (path) => page.evaluate((p) => fetch('/api/v1' + p).then((r) => r.json()), path);

await check('alarms: active instances first, acknowledged with a note, history shows it', async () => {
  await go('/alarms');
  await page.locator('#alarm-instances tr[data-active="true"]').first().waitFor();
  const first = await page.locator('#alarm-instances tbody tr[data-alarm]').first().getAttribute('data-active');
  assert(first === 'true', 'the first instance is not an active one');
  const row = page.locator('#alarm-instances tr[data-active="true"]').first();
  const path = await row.getAttribute('data-path');
  await row.locator('.ack-note').fill('looking into it');
  await row.locator('.ack-btn').click();
  const acked = page.locator(`#alarm-instances tr[data-path="${path}"]`);
  await acked.locator('.ack', { hasText: 'looking into it' }).waitFor();
  assert((await acked.locator('.ack').textContent()).includes('by anonymous'), 'acknowledgement does not name who');
  const inst = (await api('/alarms')).instances.find((i) => i.path === path);
  assert(inst && inst.ack && inst.ack.note === 'looking into it', 'the API does not show the acknowledgement');
  await acked.locator('.hist-btn').click();
  await page.locator('#alarm-instances .history-row', { hasText: 'acknowledged by anonymous: looking into it' }).waitFor();
  await page.locator('#alarm-instances .history-row', { hasText: 'fired' }).waitFor();
  assert(await page.locator('#alarm-summary', { hasText: 'active' }).count() === 1, 'no summary');
  await shot('alarms');
});

await check('alarms: create, change, test and delete a definition through the form', async () => {
  await go('/alarms');
  await page.locator('#alarm-defs tr[data-name="gm-class"]').waitFor();
  await page.fill('#al-name', 'ui-made');
  await page.fill('#al-path', '/api/v1/devices/*/vendor');
  await page.selectOption('#al-op', '==');
  await page.fill('#al-value', 'Nobody Inc');
  await page.selectOption('#al-severity', 'notice');
  await page.click('#al-save');
  const made = page.locator('#alarm-defs tr[data-name="ui-made"]');
  await made.waitFor();
  assert((await made.textContent()).includes('API'), 'the new alarm is not marked as made through the API');
  console.log('     created');
  await made.locator('.edit-btn').click();
  assert(await page.inputValue('#al-path') === '/api/v1/devices/*/vendor', 'Edit did not fill the form');
  await page.selectOption('#al-severity', 'critical');
  await page.fill('#al-hold', '5');
  await page.click('#al-save');
  await page.locator('#alarm-defs tr[data-name="ui-made"]', { hasText: 'critical' }).waitFor();
  console.log('     changed');
  const d = (await api('/alarms')).definitions.find((x) => x.name === 'ui-made');
  assert(d && d.severity === 'critical' && d.holdSeconds === 5 && d.condition.value === 'Nobody Inc', 'changed definition: ' + JSON.stringify(d));
  // Test fires a Custom Alarm Triggered event marked as a test.
  await page.locator('#alarm-defs tr[data-name="gm-class"] .test-btn').click();
  await page.locator('.toast.ok', { hasText: 'Test of gm-class raised' }).waitFor();
  await page.waitForFunction(async () => {
    const r = await fetch('/api/v1/events?type=Custom%20Alarm%20Triggered&limit=1000').then((x) => x.json());
    return (r.events || []).some((e) => (e.detail || '').startsWith('test by '));
  });
  console.log('     test-fired');
  await page.locator('#alarm-defs tr[data-name="ui-made"] .del-btn').click();
  await page.locator('#alarm-defs tr[data-name="ui-made"]').waitFor({ state: 'detached' });
  assert(!(await api('/alarms')).definitions.some((x) => x.name === 'ui-made'), 'deleted alarm still in the API');
});

await check('notifications: channels with outbox depth, deliveries and last error; Test delivers', async () => {
  await go('/notifications');
  const hook = page.locator('#notify-channels tr[data-channel="hook"]');
  await hook.waitFor();
  assert((await hook.textContent()).includes('webhook'), 'hook row lacks its kind');
  // dead retries against a closed port: its last error shows, its outbox holds the demo's events.
  const dead = page.locator('#notify-channels tr[data-channel="dead"]');
  await dead.locator('.last-error .sev-warning').waitFor();
  await page.waitForFunction(() => Number(document.querySelector('#notify-channels tr[data-channel="dead"] .queue').dataset.n) > 0);
  const delivered = async () => Number(await hook.locator('.delivered').getAttribute('data-n'));
  const before = (await api('/notifications')).channels.find((c) => c.name === 'hook').delivered;
  await page.fill('#nt-note', 'from the UI test');
  await hook.locator('.test-btn').click();
  await page.locator('.toast.ok', { hasText: 'Test notification queued on hook' }).waitFor();
  await page.waitForFunction(async (n) => {
    const st = await fetch('/api/v1/notifications').then((r) => r.json());
    return st.channels.find((c) => c.name === 'hook').delivered > n;
  }, before);
  await page.waitForFunction((n) => Number(document.querySelector('#notify-channels tr[data-channel="hook"] .delivered').dataset.n) > n, before);
  assert(await delivered() > before, 'the page does not show the delivery');
  await shot('notifications');
});

for (const theme of ['dark', 'light']) {
  await go('/settings');
  await page.selectOption('#set-theme', theme);
  await page.waitForFunction((t) => document.documentElement.dataset.theme === t, theme);
  for (const p of [{ name: 'alarms', path: '/alarms', ready: '#alarm-instances tr[data-active]' },
    { name: 'notifications', path: '/notifications', ready: '#notify-channels tr[data-channel]' }]) {
    await check(`axe: ${p.name} page, ${theme} theme, has no serious or critical violations`, async () => {
      await go(p.path);
      await page.locator(p.ready).first().waitFor();
      if (p.name === 'alarms') {
        await page.locator('#alarm-instances .hist-btn').first().click();
        await page.locator('#alarm-instances .history-row').first().waitFor();
      }
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

await finish();
