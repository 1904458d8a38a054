// Events: the model's event log, newest first, filtered by severity, type,
// scope and text (all kept in the URL). The newest events arrive live;
// older ones load page by page from the appliance's whole log. A row opens
// the event in full, with links to its device, scope, the packets around
// it and the incident that recorded it.

import { live } from '../api.js';
import { eventTypeText, eventValue } from '../words.js';
import { debounce, fill, h, num, time, VirtualList } from '../util.js';

const PAGE = 5000; // events per request (the API serves at most 10,000)
const MAX = 200000; // events kept in the page

const eventTypes = [
  'Capture Started', 'Capture Stopped', 'Scope Detected', 'Device Detected', 'Port Detected', 'Instance Detected',
  'Port State Changed', 'Local Quality Changed', 'Grandmaster Quality Changed', 'Grandmaster Changed', 'Master Silent',
  'Master Resumed', 'Sequence Gap', 'Duplicate Clock Identity', 'Interface Down', 'Interface Up', 'Capture Trouble',
  'Web Server Failed', 'Web Server Restarted', 'Parent Disagreement', 'Identity Drift',
];
const severities = ['info', 'notice', 'warning', 'critical'];
const identity = /^([0-9a-f]{6}\.[0-9a-f]{4}\.[0-9a-f]{6})(-\d+)?$/;

// newer orders events newest first: by time, then by seq.
const newer = (a, b) => b.time - a.time || b.seq - a.seq;

export function mount(root, _params, q, life) {
  let events = []; // newest first
  let shown = [];
  let loading = 0;
  let olderDone = false; // the oldest event of the log is loaded
  let atNewest = true; // the list reaches the newest event (live events join it)
  let selected = Number(q.get('seq')) || null;
  let incidents = new Map(); // event seq → incident id
  const sevSel = h('select#ev-severity', { title: 'Minimum severity', 'aria-label': 'Minimum severity' },
    severities.map((s) => h('option', { value: s }, s === 'info' ? 'All severities' : s + ' and above')));
  sevSel.value = q.get('severity') || 'info';
  const typeSel = h('select#ev-type', { title: 'Event type', 'aria-label': 'Event type' }, h('option', { value: '' }, 'All types'), eventTypes.map((t) => h('option', { value: t }, eventTypeText(t))));
  typeSel.value = q.get('type') || '';
  const scopeSel = h('select#ev-scope', { title: 'Scope', 'aria-label': 'Scope' }, h('option', { value: '' }, 'All scopes'));
  const wantScope = q.get('scope') || '';
  if (wantScope) { scopeSel.append(h('option', { value: wantScope }, wantScope)); scopeSel.value = wantScope; }
  const search = h('input#ev-search', { type: 'search', placeholder: 'Search subject, values, detail…', size: 30, value: q.get('q') || '', 'aria-label': 'Search events' });
  const count = h('span.count');
  const olderBtn = h('button#ev-older', { title: 'Load the next older page of the event log' }, 'Load older');
  const newestBtn = h('button#ev-newest', { hidden: true, title: 'Show the newest events and follow them' }, 'Newest');
  const head = h('div.head', ['time', 'severity', 'type', 'scope', 'subject', 'change', 'detail'].map((x) => h('div', x)));
  const body = h('div');
  const grid = h('div.vgrid#event-list', { style: { '--cols': '200px 74px 190px minmax(120px, 1.3fr) minmax(140px, 1.3fr) minmax(120px, 1fr) minmax(160px, 2fr)' } }, head, body);
  const detail = h('section.panel#event-detail', { hidden: true });
  root.append(h('div.toolbar', sevSel, typeSel, scopeSel, search, h('span.grow'), count, olderBtn, newestBtn), grid, detail);

  const change = (e) => (e.before || e.after ? `${eventValue(e.type, e.before) || '∅'} → ${eventValue(e.type, e.after) || '∅'}` : '');
  const list = new VirtualList(body, {
    rowHeight: 22,
    render: (e) => h('div.row' + (e.seq === selected ? '.selected' : ''), { dataset: { seq: e.seq, type: e.type }, onclick: () => select(e) },
      h('div.mono', time(e.time)),
      h('div.sev-' + e.severity, e.severity),
      h('div', eventTypeText(e.type)),
      h('div', { title: e.scope || '' }, e.scope || ''),
      h('div.mono', { title: e.subject || '' }, e.subject || ''),
      h('div.mono', { title: change(e) }, change(e)),
      h('div', { title: e.detail || '' }, e.detail || '')),
  });

  function scopeId(name) {
    const s = live.summary && live.summary.scopes.find((x) => x.name === name);
    return s ? s.id : null;
  }

  function select(e) {
    selected = e.seq;
    setURL();
    list.refresh();
    const links = [];
    const m = identity.exec(e.subject || '');
    if (m) links.push(h('a#ev-device', { href: '/devices/' + m[1], 'data-link': true }, 'device ' + m[1]));
    for (const v of [e.before, e.after]) {
      const n = identity.exec(v || '');
      if (n && e.type === 'Grandmaster Changed') links.push(h('a', { href: '/devices/' + n[1], 'data-link': true }, 'device ' + n[1]));
    }
    const sid = e.scope && scopeId(e.scope);
    if (sid !== null && sid !== undefined) {
      links.push(h('a#ev-scope', { href: '/scopes/' + sid, 'data-link': true }, 'scope'));
      const u = new URLSearchParams({ scope: String(sid), from: String(Math.round(e.time - 1e9)), to: String(Math.round(e.time + 1e9)) });
      links.push(h('a#ev-packets', { href: '/packets?' + u, 'data-link': true }, 'packets around it (±1 s)'));
    }
    const inc = incidents.get(e.seq);
    if (inc) links.push(h('a#ev-incident', { href: '/incidents?id=' + inc, 'data-link': true }, 'incident ' + inc));
    const kv = (pairs) => h('dl.kv', pairs.map(([k, v]) => [h('dt', k), h('dd', v)]));
    fill(detail,
      h('div.toolbar', h('h2', { style: { margin: 0 } }, eventTypeText(e.type)), h('span.grow'),
        h('button', { title: 'Close', 'aria-label': 'Close the event', onclick: () => { selected = null; detail.hidden = true; setURL(); list.refresh(); } }, '✕')),
      kv([
        ['time', h('span.mono', time(e.time))], ['severity', h('span.sev-' + e.severity, e.severity)], ['seq', String(e.seq)],
        ['scope', e.scope || '–'], ['subject', h('span.mono#ev-subject', e.subject || '–')],
        ['before', h('span.mono#ev-before', eventValue(e.type, e.before) || '–')], ['after', h('span.mono#ev-after', eventValue(e.type, e.after) || '–')],
        ['detail', e.detail || '–'],
      ]),
      links.length ? h('p.links', links.flatMap((l, i) => (i ? [' · ', l] : [l]))) : null);
    detail.hidden = false;
  }

  function matches(e) {
    if (severities.indexOf(e.severity) < severities.indexOf(sevSel.value)) return false;
    if (typeSel.value && e.type !== typeSel.value) return false;
    if (scopeSel.value && e.scope !== scopeSel.value) return false;
    const w = search.value.trim().toLowerCase();
    if (w && !`${e.type} ${e.scope} ${e.subject} ${e.before} ${e.after} ${e.detail}`.toLowerCase().includes(w)) return false;
    return true;
  }

  function setURL() {
    const u = new URLSearchParams();
    if (sevSel.value !== 'info') u.set('severity', sevSel.value);
    if (typeSel.value) u.set('type', typeSel.value);
    if (scopeSel.value) u.set('scope', scopeSel.value);
    if (search.value) u.set('q', search.value);
    if (selected) u.set('seq', String(selected));
    if (location.pathname === '/events') history.replaceState(null, '', '/events' + (u.toString() ? '?' + u : ''));
  }

  function apply() {
    shown = events.filter(matches);
    list.setItems(shown);
    count.textContent = `${num(shown.length)} event${shown.length === 1 ? '' : 's'}` + (olderDone ? '' : ' loaded');
    olderBtn.disabled = olderDone;
    olderBtn.textContent = olderDone ? 'All loaded' : 'Load older';
    newestBtn.hidden = atNewest;
    const scopes = new Set([...scopeSel.options].map((o) => o.value));
    for (const e of events) {
      if (e.scope && !scopes.has(e.scope)) { scopes.add(e.scope); scopeSel.append(h('option', { value: e.scope }, e.scope)); }
    }
    setURL();
  }

  function params(extra) {
    const u = new URLSearchParams(extra);
    if (sevSel.value !== 'info') u.set('severity', sevSel.value);
    if (typeSel.value) u.set('type', typeSel.value);
    return u;
  }

  function merge(more) {
    const have = new Set(events.map((e) => e.seq));
    for (const e of more) if (!have.has(e.seq)) { have.add(e.seq); events.push(e); }
    events.sort(newer);
    if (events.length > MAX) events.length = MAX;
  }

  // load fetches the newest events of the server-side filters (severity
  // and type), or the events around the seq in the URL; scope and text
  // filter in the page.
  async function load() {
    const gen = ++loading;
    try {
      let evs;
      if (selected && gen === 1) {
        // Around the chosen event: a page from it on and a page before it.
        const r = await life.get('/events?' + params({ after: String(Math.max(0, selected - 1)), limit: String(PAGE / 2) }));
        evs = r.events;
        atNewest = !r.next;
        if (evs[0]) {
          const older = await life.get('/events?' + params({ until: String(evs[0].time + 1000), tail: String(PAGE / 2) }));
          evs = older.events.concat(evs);
        }
      } else {
        const r = await life.get('/events?' + params({ tail: String(PAGE) }));
        evs = r.events;
        atNewest = true;
      }
      if (gen !== loading) return;
      events = [];
      olderDone = false;
      merge(evs);
      if (evs.length < PAGE / 2 && !selected) olderDone = true;
      apply();
      const e = selected && events.find((x) => x.seq === selected);
      if (e) {
        select(e);
        const i = shown.indexOf(e);
        if (i >= 0) body.scrollTop = Math.max(0, i * 22 - body.clientHeight / 2);
      }
    } catch (err) {
      count.textContent = 'error: ' + err.message;
    }
  }

  async function loadOlder() {
    const oldest = events[events.length - 1];
    if (!oldest) { olderDone = true; apply(); return; }
    olderBtn.disabled = true;
    try {
      // Times are ns in a double: ask a microsecond past the oldest and
      // drop what is already there.
      const r = await life.get('/events?' + params({ until: String(oldest.time + 1000), tail: String(PAGE) }));
      const n = events.length;
      merge(r.events);
      if (events.length === n) olderDone = true;
      apply();
    } catch (err) {
      count.textContent = 'error: ' + err.message;
      olderBtn.disabled = false;
    }
  }

  async function loadIncidents() {
    try {
      const list = await life.get('/incidents');
      incidents = new Map();
      for (const i of list) for (const t of i.triggers || []) if (t.eventSeq) incidents.set(t.eventSeq, i.id);
    } catch { /* no store: no incidents */ }
  }

  life.own(live.on('model', (e) => {
    if (!atNewest) return;
    if (events.length && e.seq <= events[0].seq) return;
    if (severities.indexOf(e.severity) < severities.indexOf(sevSel.value) || (typeSel.value && e.type !== typeSel.value)) return;
    events.unshift(e);
    if (events.length > MAX) events.length = MAX;
    if (matches(e)) {
      const top = body.scrollTop < 5;
      shown.unshift(e);
      list.setItems(shown);
      if (!top) body.scrollTop += 22; // keep the rows under the reader's eyes
      count.textContent = `${num(shown.length)} event${shown.length === 1 ? '' : 's'}` + (olderDone ? '' : ' loaded');
    }
  }));

  sevSel.addEventListener('change', () => { selected = null; load(); });
  typeSel.addEventListener('change', () => { selected = null; load(); });
  scopeSel.addEventListener('change', apply);
  search.addEventListener('input', debounce(apply, 150));
  olderBtn.addEventListener('click', loadOlder);
  newestBtn.addEventListener('click', () => { selected = null; detail.hidden = true; load(); });
  loadIncidents();
  load();
  life.own(() => list.destroy());
}
