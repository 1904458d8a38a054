// Browser checks of the live views under a busy stream: `ptpwatch --demo`
// with 2,000 extra followers ([demo] followers = 2000), some 16,000 frames
// in 2 s.
//
//   node ui.live.test.mjs http://127.0.0.1:PORT/ ARTIFACT_DIR
//
// The packet list must hold still for its reader: following the newest
// packets stops when the user scrolls away or selects a row, the selected
// packet never changes by itself, and a marker counting the new packets
// brings them back.

import { openHarness } from './harness.mjs';

const { page, check, assert, shot, go, finish } = await openHarness(process.argv);

// inView lists the packet rows inside the list's viewport with their
// offsets from its top.
const inView = () => page.evaluate(() => {
  const body = document.querySelector('#packet-list .vl');
  const box = body.getBoundingClientRect();
  return [...body.querySelectorAll('.row')].map((r) => ({ frame: r.dataset.frame, y: Math.round(r.getBoundingClientRect().top - box.top), sel: r.classList.contains('selected') }))
    .filter((r) => r.y >= 0 && r.y < box.height - 22);
});
const markerCount = () => page.evaluate(() => {
  const m = document.querySelector('#new-packets');
  return m && !m.hidden ? Number(m.dataset.count) : -1;
});
const waitMarker = (atLeast) => page.waitForFunction((n) => {
  const m = document.querySelector('#new-packets');
  return m && !m.hidden && Number(m.dataset.count) >= n;
}, atLeast, { timeout: 60000 });

await check('the packet list stops following when scrolled away and holds still', async () => {
  await go('/packets');
  // Enough rows to scroll in.
  await page.waitForFunction(() => document.querySelectorAll('#packet-list .row').length > 40 &&
    document.querySelector('#packet-list .vl').scrollHeight > 3 * document.querySelector('#packet-list .vl').clientHeight);
  await page.hover('#packet-list .vl');
  await page.mouse.wheel(0, -1500);
  await page.waitForFunction(() => document.querySelector('#new-packets') && !document.querySelector('#new-packets').hidden);
  const before = await inView();
  assert(before.length > 5, 'rows in view: ' + before.length);
  // Far more than the list keeps (20,000 rows) arrives meanwhile.
  await waitMarker(25000);
  const after = await inView();
  assert(JSON.stringify(after) === JSON.stringify(before), `rows moved under the reader: ${before[0].frame}@${before[0].y} → ${after[0].frame}@${after[0].y}`);
  await shot('live-packets-marker');
});

await check('a selected packet stays selected and in place while packets arrive', async () => {
  const rows = await inView();
  const pick = rows[Math.floor(rows.length / 2)];
  await page.locator(`#packet-list .row[data-frame="${pick.frame}"]`).click();
  await page.locator('#packet-detail .dhead b', { hasText: 'Frame ' + pick.frame }).waitFor();
  const n0 = await markerCount();
  await waitMarker(n0 + 20000);
  const now = await inView();
  const sel = now.filter((r) => r.sel);
  assert(sel.length === 1 && sel[0].frame === pick.frame && sel[0].y === pick.y, `selection moved: ${JSON.stringify(pick)} → ${JSON.stringify(sel)}`);
  const head = await page.locator('#packet-detail .dhead b').textContent();
  assert(head.trim() === 'Frame ' + pick.frame, 'detail shows ' + head);
  await shot('live-packets-selected');
});

await check('the marker jumps to the newest packets and follows again', async () => {
  const seen = Math.max(...(await inView()).map((r) => Number(r.frame)));
  await page.click('#new-packets');
  await page.waitForFunction((f) => {
    const m = document.querySelector('#new-packets');
    const rows = [...document.querySelectorAll('#packet-list .row')];
    return m.hidden && rows.length && Number(rows[rows.length - 1].dataset.frame) > f + 20000;
  }, seen);
  // Following: the newest keep coming into view.
  const last = Number(await page.locator('#packet-list .row').last().getAttribute('data-frame'));
  await page.waitForFunction((f) => {
    const body = document.querySelector('#packet-list .vl');
    const box = body.getBoundingClientRect();
    return [...body.querySelectorAll('.row')].some((r) => Number(r.dataset.frame) > f + 4000 && r.getBoundingClientRect().top < box.bottom);
  }, last);
});

await finish();
