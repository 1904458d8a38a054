// Browser checks of the web UI at scale: `ptpwatch --demo` with 10,000
// extra followers in its domain-0 scope ([demo] followers), which also
// makes a busy packet stream (each follower's Delay_Req 4 times a second
// and the Delay_Resp: some 80,000 frames/s).
//
//   node ui.scale.test.mjs http://127.0.0.1:PORT/ ARTIFACT_DIR
//
// Pages must load, stay bounded in what they draw and keep working; the
// time each check took is printed for the record, not enforced.

import { openHarness } from './harness.mjs';

const FOLLOWERS = 10000;
const SCOPE = 'seg0 v2 domain 0 UDP/IPv4';
// Follower number 10000 of AddDemoFollowers: MAC 0c:42:a1:80:27:0f.
const LAST = '0c42a1.fffe.80270f';

const { page, check, assert, shot, go, finish } = await openHarness(process.argv);

await check(`overview counts the ${FOLLOWERS} followers of the domain-0 scope`, async () => {
  await go('/');
  await page.waitForFunction(([sc, n]) => {
    const c = [...document.querySelectorAll('.scope')].find((e) => e.dataset.scope === sc);
    return c && Number(c.querySelector('.followers').textContent.replace(/,/g, '')) >= n;
  }, [SCOPE, FOLLOWERS], { timeout: 60000 });
  // A series drawn: a polyline with points. (Not locator.waitFor: a flat
  // series, all zeros, has an empty bounding box and never counts as visible.)
  await page.waitForFunction(() => [...document.querySelectorAll('#rates svg polyline')]
    .some((p) => (p.getAttribute('points') || '').trim().split(/\s+/).length >= 2));
  await shot('scale-overview');
});

await check('the device list draws only what is in view and scrolls through all of them', async () => {
  await go('/devices');
  await page.waitForFunction((n) => {
    const t = document.querySelector('.toolbar .count')?.textContent || '';
    return Number((t.match(/^([\d,]+) devices/) || [, '0'])[1].replace(/,/g, '')) >= n;
  }, FOLLOWERS);
  const drawn = await page.locator('#device-list .row').count();
  assert(drawn > 10 && drawn < 200, `${drawn} rows in the page for ${FOLLOWERS}+ devices`);
  const first = await page.locator('#device-list .row').first().getAttribute('data-id');
  await page.evaluate(() => {
    const c = [...document.querySelectorAll('#device-list, #device-list *')].find((e) => e.scrollHeight > e.clientHeight + 100);
    c.scrollTop = c.scrollHeight;
  });
  await page.waitForFunction((f) => {
    const rows = [...document.querySelectorAll('#device-list .row')];
    return rows.length > 0 && rows.length < 200 && !rows.some((r) => r.dataset.id === f);
  }, first);
  await shot('scale-devices-end');
  await page.fill('#dev-search', LAST.slice(-6));
  await page.waitForFunction((id) => {
    const rows = [...document.querySelectorAll('#device-list .row')];
    return rows.length === 1 && rows[0].dataset.id === id;
  }, LAST);
  await page.locator(`#device-list .row[data-id="${LAST}"]`).click();
  await page.locator('#instances tr[data-instance]').first().waitFor();
  await page.locator('#roles .chip', { hasText: 'ordinary clock' }).first().waitFor();
  await shot('scale-device');
});

await check('the hierarchy groups a large fan-out, draws only what is in view and finds the last follower', async () => {
  await go('/hierarchy');
  await page.selectOption('#hier-scope', SCOPE);
  const group = page.locator('#hierarchy .trow[data-kind=group]').first();
  await page.waitForFunction((n) => Number(document.querySelector('#hierarchy .trow[data-kind=group]')?.dataset.count) >= n, FOLLOWERS);
  assert(await group.getAttribute('aria-expanded') === 'false', 'the large group starts open');
  await group.click();
  await page.locator('#hierarchy .trow[data-kind=group][aria-expanded=true]').waitFor();
  const n = await page.locator('#hierarchy .trow').count();
  assert(n < 200, `${n} rows drawn for a scope of ${FOLLOWERS}+ ports`);
  await page.fill('#hier-search', LAST);
  await page.locator(`#hierarchy .trow.match[data-port="${LAST}-1"]`).waitFor();
  await shot('scale-hierarchy');
});

await check('the packet list keeps up with the stream and filters by type', async () => {
  await go('/packets');
  await page.locator('#packet-list .row').first().waitFor();
  const a = Number(await page.locator('#packet-list .row').last().getAttribute('data-frame'));
  await page.waitForFunction((f) => {
    const rows = document.querySelectorAll('#packet-list .row');
    return rows.length && Number(rows[rows.length - 1].dataset.frame) > f + 10000;
  }, a);
  await page.selectOption('#f-type', 'Delay_Resp');
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('#packet-list .row')];
    return rows.length > 20 && rows.every((r) => r.dataset.type === 'Delay_Resp');
  });
  await shot('scale-packets');
});

await finish();
