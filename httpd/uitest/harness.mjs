// The browser-test harness shared by ui.test.mjs and ui.scale.test.mjs:
// playwright-core driving Debian's chromium, headless, against a running
// ptpwatch; console errors and HTTP errors fail the check they happen in;
// a failing check leaves a screenshot.

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export async function openHarness(argv) {
  const base = (argv[2] || 'http://127.0.0.1:8319/').replace(/\/$/, '');
  const out = argv[3] || 'artifacts';
  mkdirSync(out, { recursive: true });
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(30000); // the machine may be busy with other work

  const consoleErrors = [];
  const expected = new Set(); // URLs whose HTTP errors a check expects
  page.on('console', (m) => { if (m.type() === 'error' && !expected.has(m.location().url)) consoleErrors.push(`${m.text()} (${m.location().url})`); });
  page.on('pageerror', (e) => consoleErrors.push('page error: ' + e.message));
  page.on('response', (r) => { if (r.status() >= 400 && !expected.has(r.url())) consoleErrors.push(`HTTP ${r.status()} for ${r.url()}`); });

  let failed = 0;
  const h = {
    base, out, browser, page,
    // expectError lets url answer an HTTP error without failing the check.
    expectError(url) { expected.add(url); },
    async check(name, f) {
      // UI_ONLY=text runs only the checks whose names contain text.
      if (process.env.UI_ONLY && !name.includes(process.env.UI_ONLY)) return;
      const t0 = Date.now();
      const before = consoleErrors.length;
      try {
        await f();
        if (consoleErrors.length > before) throw new Error('console errors: ' + consoleErrors.slice(before).join('; '));
        console.log(`ok   ${name} (${Date.now() - t0} ms)`);
      } catch (err) {
        failed++;
        console.log(`FAIL ${name}: ${err.message.split('\n')[0]}`);
        await page.screenshot({ path: join(out, 'fail-' + name.replace(/\W+/g, '-') + '.png') }).catch(() => {});
      }
    },
    assert(cond, msg) { if (!cond) throw new Error(msg); },
    async shot(name) { await page.screenshot({ path: join(out, name + '.png') }); },
    async go(path) { await page.goto(base + path, { waitUntil: 'domcontentloaded' }); },
    async finish() {
      await browser.close();
      if (consoleErrors.length) console.log('console errors:\n  ' + consoleErrors.join('\n  '));
      console.log(failed ? `${failed} check(s) failed` : 'all checks passed');
      process.exit(failed || consoleErrors.length ? 1 : 0);
    },
  };
  return h;
}
