// Browser check of a scope's active problems (issue 14's "a master that
// stopped sending Sync looks healthy") against `ptpwatch --demo` paced at
// [demo] speed = 10: the demo's sync loss at master-d44 (10:00 into its
// script, Announce goes on; Sync is back at 11:00) comes after some 60 s
// and lasts some 6 s.
//
//   node ui.problems.test.mjs http://127.0.0.1:PORT/ ARTIFACT_DIR

import AxeBuilder from '@axe-core/playwright';
import { openHarness } from './harness.mjs';

const D44 = 'seg0 v2 domain 44 UDP/IPv6';

const { page, check, assert, shot, go, finish } = await openHarness(process.argv);

await check('the Overview shows a master announcing without Sync as its scope\'s problem while it lasts, and the API calls it silent', async () => {
  await go('/overview');
  const card = page.locator(`.scope[data-scope="${D44}"]`);
  await card.waitFor();
  const item = card.locator('ul.problems li', { hasText: 'no Sync' });
  await item.first().waitFor({ timeout: 150000 });
  const port = await item.first().locator('a.id').textContent();
  // While the card shows it, the API's instance is silent.
  const silent = await page.evaluate(async ({ name, port }) => {
    const sc = (await fetch('/api/v1/scopes').then((r) => r.json())).find((x) => x.name === name);
    const ins = await fetch(`/api/v1/scopes/${sc.id}/instances`).then((r) => r.json());
    return ins.filter((i) => i.portIdentity === port).map((i) => i.silent);
  }, { name: D44, port });
  assert(silent.includes(true), `instance ${port}: silent ${JSON.stringify(silent)}, want true while it sends no Sync`);
  await shot('overview-problem');
  const res = await new AxeBuilder({ page }).include(`.scope[data-scope="${D44}"]`).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = res.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(!bad.length, 'axe: ' + bad.map((v) => v.id).join(', '));
  // Sync comes back: the problem goes.
  await card.locator('ul.problems').waitFor({ state: 'detached', timeout: 60000 });
});

await finish();
