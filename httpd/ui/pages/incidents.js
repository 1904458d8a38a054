// Incidents: the dashcam's recordings, newest first, with the details of
// one (triggers, scopes, window, frames, state), its capture file and, for
// admins, a button that records one now.

import { APIError, send } from '../api.js';
import { eventTypeText } from '../words.js';
import { bytes, fill, h, num, time, toast } from '../util.js';

export function mount(root, _params, q, life) {
  let list = [];
  let selected = Number(q.get('id')) || null;
  const recordBtn = h('button.primary#record-now', { title: 'Record the pre- and post-trigger window around now for every scope (admin)' }, 'Record now');
  const count = h('span.count');
  const table = h('div#incident-list');
  const detail = h('section.panel#incident-detail', { hidden: true });
  root.append(
    h('div.toolbar', h('h1', { style: { margin: 0 } }, 'Incidents'), h('span.grow'), count, recordBtn),
    h('div.grid.cols-2', h('section.panel', table), detail),
  );

  function triggerText(t) {
    return [t.type === 'Manual' ? 'Manual' : eventTypeText(t.type), t.scope, t.subject].filter(Boolean).join(' · ');
  }

  function drawList() {
    count.textContent = `${num(list.length)} incident${list.length === 1 ? '' : 's'}`;
    if (!list.length) { fill(table, h('p.muted', 'No incidents recorded yet.')); return; }
    fill(table, h('table.t',
      h('thead', h('tr', ['#', 'created', 'trigger', 'state', 'frames', 'size'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', list.map((i) => h('tr.click' + (i.id === selected ? '.selected' : ''), {
        dataset: { id: i.id, state: i.state }, tabindex: 0, 'aria-selected': i.id === selected ? 'true' : 'false',
        onclick: () => select(i.id),
        onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); select(i.id); } },
      },
      h('td.num', String(i.id)),
      h('td.mono', time(i.created)),
      h('td', (i.triggers || []).slice(0, 1).map(triggerText), (i.triggers || []).length > 1 ? h('span.muted', ` +${i.triggers.length - 1}`) : null),
      h('td', h('span.pill' + (i.state === 'complete' ? '.ok' : '.warn'), i.state)),
      h('td.num', num(i.frames)),
      h('td.num', bytes(i.bytes)))))));
  }

  function drawDetail() {
    const i = list.find((x) => x.id === selected);
    detail.hidden = !i;
    if (!i) return;
    const kv = (pairs) => h('dl.kv', pairs.filter(Boolean).map(([k, v]) => [h('dt', k), h('dd', v)]));
    fill(detail,
      h('div.toolbar', h('h2', { style: { margin: 0 } }, 'Incident ' + i.id), h('span.grow'),
        h('a#incident-download', { href: `/api/v1/incidents/${i.id}/pcapng`, download: `incident-${i.id}.pcapng`, title: 'Download its frames as pcapng' }, 'pcapng ⤓')),
      kv([
        ['state', h('span', i.state, i.reason ? h('span.muted', ' · ' + i.reason) : null)],
        ['window', `${time(i.from)} – ${time(i.to)}`],
        ['frames saved', `${num(i.frames)} (${bytes(i.bytes)})` + (i.first ? ` · ${time(i.first)} – ${time(i.last)}` : '')],
        i.lost ? ['lost', h('span.sev-warning', num(i.lost))] : null,
        i.preShort ? ['pre-trigger', h('span.sev-warning', 'the RAM buffer no longer held the start of the window')] : null,
        ['scopes', i.scopes && i.scopes.length ? h('ul.plain', i.scopes.map((s) => h('li', s))) : 'every scope, and frames that are not PTP'],
        ['created', time(i.created)],
        i.ended ? ['ended', time(i.ended)] : null,
        ['interfaces', (i.interfaces || []).map((x) => x.name).join(', ') || '–'],
      ]),
      h('h3', 'Triggers'),
      h('table.t#incident-triggers',
        h('thead', h('tr', ['time', 'type', 'scope', 'subject', 'detail'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', (i.triggers || []).map((t) => h('tr',
          h('td.mono', t.eventSeq ? h('a', { href: `/events?seq=${t.eventSeq}`, 'data-link': true }, time(t.time)) : time(t.time)),
          h('td', t.type === 'Manual' ? 'Manual' : eventTypeText(t.type)),
          h('td', t.scope || ''),
          h('td.mono', t.subject || ''),
          h('td', t.detail || ''))))),
      h('p', h('a', { href: `/packets`, 'data-link': true }, 'Live packets'), h('span.muted', ' · the frames of the window are in the pcapng above')));
  }

  function select(id) {
    selected = id;
    history.replaceState(null, '', '/incidents?id=' + id);
    drawList();
    drawDetail();
  }

  async function load() {
    try {
      list = await life.get('/incidents');
      drawList();
      drawDetail();
    } catch (err) {
      if (err instanceof APIError && err.status === 404) {
        recordBtn.disabled = true;
        fill(table, h('p.muted', 'This appliance keeps no dashcam store: start ptpwatch with --data DIR to record incidents.'));
        return;
      }
      fill(table, h('p.sev-warning', 'Cannot load the incidents: ' + err.message));
    }
  }

  recordBtn.addEventListener('click', async () => {
    recordBtn.disabled = true;
    try {
      const r = await life.settle(send('POST', '/incidents', { note: 'recorded from the web UI' }));
      toast(`Recording incident ${r.id}`, 'ok');
      selected = r.id;
      await load();
      select(r.id);
    } catch (err) {
      toast(err instanceof APIError && err.status === 403 ? 'Recording an incident needs the admin role.' : 'Cannot record an incident: ' + err.message, 'error');
    } finally {
      recordBtn.disabled = false;
    }
  });

  load();
  life.every(5000, load);
}
