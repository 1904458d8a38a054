// Events: the model's event log, newest first, filtered by severity, type,
// scope and text, with new events arriving live.

import { live } from '../api.js';
import { eventTypeText, eventValue } from '../words.js';
import { debounce, h, num, time, VirtualList } from '../util.js';

const TAIL = 5000; // events loaded when the filter changes
const MAX = 20000; // events kept

const eventTypes = [
  'Capture Started', 'Capture Stopped', 'Scope Detected', 'Device Detected', 'Port Detected', 'Instance Detected',
  'Port State Changed', 'Local Quality Changed', 'Grandmaster Quality Changed', 'Grandmaster Changed', 'Master Silent',
  'Master Resumed', 'Sequence Gap', 'Duplicate Clock Identity', 'Interface Down', 'Interface Up', 'Capture Trouble',
  'Web Server Failed', 'Web Server Restarted',
];
const severities = ['info', 'notice', 'warning', 'critical'];

export function mount(root, _params, q, life) {
  let events = []; // newest first
  let shown = [];
  let loading = 0;
  const sevSel = h('select#ev-severity', { title: 'Minimum severity' },
    severities.map((s) => h('option', { value: s }, s === 'info' ? 'All severities' : s + ' and above')));
  sevSel.value = q.get('severity') || 'info';
  const typeSel = h('select#ev-type', { title: 'Event type' }, h('option', { value: '' }, 'All types'), eventTypes.map((t) => h('option', { value: t }, eventTypeText(t))));
  typeSel.value = q.get('type') || '';
  const scopeSel = h('select#ev-scope', { title: 'Scope' }, h('option', { value: '' }, 'All scopes'));
  const search = h('input#ev-search', { type: 'search', placeholder: 'Search subject, values, detail…', size: 30, value: q.get('q') || '' });
  const count = h('span.count');
  const head = h('div.head', ['time', 'severity', 'type', 'scope', 'subject', 'change', 'detail'].map((x) => h('div', x)));
  const body = h('div');
  const grid = h('div.vgrid#event-list', { style: { '--cols': '200px 74px 190px minmax(120px, 1.3fr) minmax(140px, 1.3fr) minmax(120px, 1fr) minmax(160px, 2fr)' } }, head, body);
  root.append(h('div.toolbar', sevSel, typeSel, scopeSel, search, h('span.grow'), count), grid);

  const list = new VirtualList(body, {
    rowHeight: 22,
    render: (e) => h('div.row', { dataset: { seq: e.seq, type: e.type } },
      h('div.mono', time(e.time)),
      h('div.sev-' + e.severity, e.severity),
      h('div', eventTypeText(e.type)),
      h('div', { title: e.scope || '' }, e.scope || ''),
      h('div.mono', { title: e.subject || '' }, e.subject || ''),
      h('div.mono', e.before || e.after ? `${eventValue(e.type, e.before) || '∅'} → ${eventValue(e.type, e.after) || '∅'}` : ''),
      h('div', { title: e.detail || '' }, e.detail || '')),
  });

  function matches(e) {
    if (severities.indexOf(e.severity) < severities.indexOf(sevSel.value)) return false;
    if (typeSel.value && e.type !== typeSel.value) return false;
    if (scopeSel.value && e.scope !== scopeSel.value) return false;
    const w = search.value.trim().toLowerCase();
    if (w && !`${e.type} ${e.scope} ${e.subject} ${e.before} ${e.after} ${e.detail}`.toLowerCase().includes(w)) return false;
    return true;
  }

  function apply() {
    shown = events.filter(matches);
    list.setItems(shown);
    count.textContent = `${num(shown.length)} event${shown.length === 1 ? '' : 's'}`;
    const scopes = new Set([...scopeSel.options].map((o) => o.value));
    for (const e of events) {
      if (e.scope && !scopes.has(e.scope)) { scopes.add(e.scope); scopeSel.append(h('option', { value: e.scope }, e.scope)); }
    }
    const u = new URLSearchParams();
    if (sevSel.value !== 'info') u.set('severity', sevSel.value);
    if (typeSel.value) u.set('type', typeSel.value);
    if (search.value) u.set('q', search.value);
    if (location.pathname === '/events') history.replaceState(null, '', '/events' + (u.toString() ? '?' + u : ''));
  }

  // load fetches the newest events of the server-side filters (severity
  // and type); scope and text filter in the page.
  async function load() {
    const gen = ++loading;
    const u = new URLSearchParams({ tail: String(TAIL) });
    if (sevSel.value !== 'info') u.set('severity', sevSel.value);
    if (typeSel.value) u.set('type', typeSel.value);
    try {
      const r = await life.get('/events?' + u);
      if (gen !== loading) return;
      events = r.events.reverse();
      apply();
    } catch (err) {
      count.textContent = 'error: ' + err.message;
    }
  }

  life.own(live.on('model', (e) => {
    if (events.length && e.seq <= events[0].seq) return;
    if (severities.indexOf(e.severity) < severities.indexOf(sevSel.value) || (typeSel.value && e.type !== typeSel.value)) return;
    events.unshift(e);
    if (events.length > MAX) events.length = MAX;
    if (matches(e)) {
      const top = body.scrollTop < 5;
      shown.unshift(e);
      list.setItems(shown);
      if (!top) body.scrollTop += 22; // keep the rows under the reader's eyes
      count.textContent = `${num(shown.length)} event${shown.length === 1 ? '' : 's'}`;
    }
  }));

  sevSel.addEventListener('change', load);
  typeSel.addEventListener('change', load);
  scopeSel.addEventListener('change', apply);
  search.addEventListener('input', debounce(apply, 150));
  load();
  life.own(() => list.destroy());
}
