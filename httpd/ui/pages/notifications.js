// Notifications: every channel of [notify] with its kind, target (never a
// secret), outbox depth, deliveries, failures, last error and next retry,
// and a Test button per channel (and for all) that queues a test
// notification past the channel's filters (admin). Channels are set in
// the configuration file; a SIGHUP applies changes.

import { send } from '../api.js';
import { ago, fill, h, num, time, toast } from '../util.js';

export function mount(root, _params, _q, life) {
  const summary = h('p#notify-summary.muted');
  const table = h('div#notify-channels');
  const note = h('input#nt-note', { size: 30, placeholder: 'optional', autocomplete: 'off' });

  async function test(name) {
    try {
      await life.settle(send('POST', '/notifications/test', { channel: name, note: note.value }));
      toast(name ? `Test notification queued on ${name}` : 'Test notification queued on every channel', 'ok');
      life.after(500, load);
    } catch (e) {
      toast('No test notification: ' + e.message, 'error');
    }
  }

  function draw(st) {
    const chans = st.channels;
    const queued = chans.reduce((a, c) => a + c.queue, 0);
    const failing = chans.filter((c) => c.nextRetry).length;
    fill(summary, chans.length
      ? `${num(chans.length)} channel${chans.length === 1 ? '' : 's'}, ${num(queued)} notification${queued === 1 ? '' : 's'} waiting` +
        (failing ? `, ${num(failing)} retrying` : '') + (st.missedEvents ? `; ${num(st.missedEvents)} events missed by the reader` : '') + '.'
      : 'No notification channel is configured: add [[notify.webhook]], [[notify.syslog]], [[notify.smtp]] or [[notify.snmp]] tables to the configuration file and send SIGHUP.');
    if (!chans.length) { fill(table); return; }
    fill(table, h('table.t',
      h('thead', h('tr', ['channel', 'kind', 'target', 'delivery', 'outbox', 'delivered', 'failures', 'dropped', 'last delivered', 'last error', ''].map((x) =>
        h('th', { scope: 'col' }, x)))),
      h('tbody', chans.map((c) => h('tr', { dataset: { channel: c.name } },
        h('td', c.name),
        h('td', c.kind),
        h('td.mono', c.target),
        h('td', { title: c.reliable ? 'acknowledged by the receiver; retried until it is' : 'sent once (UDP, traps)' }, c.reliable ? 'acknowledged' : 'once'),
        h('td.num.queue', { dataset: { n: c.queue } }, h('span.pill.' + (c.queue ? 'warn' : 'ok'), num(c.queue))),
        h('td.num.delivered', { dataset: { n: c.delivered } }, num(c.delivered) + (c.digests ? ` (${num(c.digests)} digests)` : '')),
        h('td.num.failures', num(c.failures)),
        h('td.num', { title: `outbox full ${c.overflow}, expired ${c.expired}, lost (sent once and failed) ${c.lost}` }, num(c.overflow + c.expired + c.lost)),
        h('td', c.lastDelivered ? h('span', { title: time(c.lastDelivered) }, ago(c.lastDelivered)) : h('span.muted', 'never')),
        h('td.last-error', c.lastError
          ? h('span', h('span.sev-warning', c.lastError), h('span.muted', ' · ' + ago(c.lastErrorTime) + (c.nextRetry ? ', retry ' + time(c.nextRetry, false) : '')))
          : h('span.muted', 'none')),
        h('td', h('button.test-btn', { title: 'Send a test notification on ' + c.name + ' (admin)', onclick: () => test(c.name) }, 'Test')))))));
  }

  async function load() {
    try {
      draw(await life.get('/notifications'));
    } catch (e) {
      fill(summary, 'Notifications are not available: ' + e.message);
    }
  }

  root.append(h('div.settings.notifications',
    h('h1', 'Notifications'),
    summary,
    h('div.scroll-x', table),
    h('fieldset', h('legend', 'Test'),
      h('p.muted', { style: { marginTop: 0 } }, 'A test notification goes through the outbox past the channel\'s filters, so it shows the whole path to the receiver. Needs the admin role.'),
      h('div.custom', { style: { marginLeft: 0 } }, h('label', { for: 'nt-note' }, 'Note'), note),
      h('div', h('button#nt-test-all', { onclick: () => test('') }, 'Test every channel')))));
  load();
  life.every(2000, load);
}
