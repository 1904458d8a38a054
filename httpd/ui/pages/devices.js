// Devices: every clock seen, with operator metadata, in a virtualised
// table that stays quick with tens of thousands of rows.

import { navigate } from '../app.js';
import { roleText } from '../words.js';
import { debounce, h, num, VirtualList, fill } from '../util.js';

const REFRESH_MS = 10000;

const columns = [
  { key: 'clockIdentity', label: 'clockIdentity', get: (d) => d.clockIdentity },
  { key: 'alias', label: 'alias', get: (d) => (d.metadata && d.metadata.alias) || '' },
  { key: 'vendor', label: 'vendor', get: (d) => (d.metadata && d.metadata.vendor) || d.vendor || '' },
  { key: 'model', label: 'model', get: (d) => (d.metadata && d.metadata.model) || '' },
  { key: 'location', label: 'location', get: (d) => (d.metadata && d.metadata.location) || '' },
  { key: 'roles', label: 'roles', get: (d) => d.roles.map((r) => r.role).join(', ') },
  { key: 'ports', label: 'ports', get: (d) => d.ports.length, num: true },
  { key: 'instances', label: 'instances', get: (d) => d.instances.length, num: true },
];

export function mount(root, _params, q, life) {
  let all = [];
  let shown = [];
  let tag = null;
  let sort = { key: 'clockIdentity', desc: false };

  const search = h('input#dev-search', { type: 'search', placeholder: 'Search identity, alias, vendor, model, location, role…', size: 44, value: q.get('q') || '' });
  const roleSel = h('select#dev-role', { title: 'Role' }, h('option', { value: '' }, 'All roles'));
  const count = h('span.count');
  // Column headers sort by mouse and by keyboard (Tab to one, Enter or Space).
  const head = h('div.head', columns.map((c) => h('div.sortable' + (c.num ? '.num' : ''), {
    dataset: { key: c.key }, role: 'button', tabindex: 0, title: 'Sort by ' + c.label,
    onclick: () => {
      sort = { key: c.key, desc: sort.key === c.key ? !sort.desc : false };
      apply();
    },
    onkeydown: (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); ev.currentTarget.click(); } },
  }, c.label)));
  const body = h('div');
  const grid = h('div.vgrid#device-list', { style: { '--cols': '150px minmax(90px, 1fr) minmax(110px, 1.2fr) minmax(80px, 1fr) minmax(80px, 1fr) minmax(200px, 2.4fr) 54px 74px' } }, head, body);
  root.append(h('div.toolbar', search, roleSel, h('span.grow'), count), grid);

  const list = new VirtualList(body, {
    rowHeight: 24,
    render: (d) => h('div.row', { dataset: { id: d.clockIdentity }, onclick: () => navigate('/devices/' + d.clockIdentity) },
      h('div.id', d.clockIdentity),
      h('div', columns[1].get(d)),
      h('div', columns[2].get(d)),
      h('div', columns[3].get(d)),
      h('div', columns[4].get(d)),
      h('div', { title: d.roles.map((r) => roleText(r.role)).join(', ') }, d.roles.map((r) => h('span.chip.role', roleText(r.role)))),
      h('div.num', d.ports.length),
      h('div.num', d.instances.length)),
  });

  function apply() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const role = roleSel.value;
    shown = all.filter((d) => (!role || d.roles.some((r) => r.role === role)) && words.every((w) => d._hay.includes(w)));
    const col = columns.find((c) => c.key === sort.key);
    const dir = sort.desc ? -1 : 1;
    shown.sort((a, b) => {
      const x = col.get(a), y = col.get(b);
      if (col.num) return (x - y) * dir;
      if (x === y) return 0;
      if (x === '') return 1; // empty last whichever the direction
      if (y === '') return -1;
      return x < y ? -dir : dir;
    });
    for (const e of head.children) {
      e.classList.toggle('sorted', e.dataset.key === sort.key);
      e.classList.toggle('desc', e.dataset.key === sort.key && sort.desc);
      e.setAttribute('aria-pressed', String(e.dataset.key === sort.key));
      e.setAttribute('aria-label', e.title + (e.dataset.key === sort.key ? (sort.desc ? ', sorted descending' : ', sorted ascending') : ''));
    }
    list.setItems(shown);
    count.textContent = shown.length === all.length ? `${num(all.length)} devices` : `${num(shown.length)} of ${num(all.length)} devices`;
    if (!all.length) count.textContent = 'No devices seen yet';
  }

  async function load() {
    try {
      const r = await life.getTagged('/devices', tag);
      if (r.same) return;
      tag = r.tag;
      all = r.data;
      const roles = new Set();
      for (const d of all) {
        d.roles ||= [];
        d.ports ||= [];
        d.instances ||= [];
        d._hay = [d.clockIdentity, ...columns.slice(1, 5).map((c) => c.get(d)), ...d.roles.map((x) => roleText(x.role))].join(' ').toLowerCase();
        for (const x of d.roles) roles.add(x.role);
      }
      const cur = roleSel.value;
      fill(roleSel, h('option', { value: '' }, 'All roles'), [...roles].sort().map((x) => h('option', { value: x }, roleText(x))));
      roleSel.value = cur;
      apply();
    } catch (err) {
      count.textContent = 'error: ' + err.message;
    }
  }

  search.addEventListener('input', debounce(() => {
    // The user may have opened a device meanwhile (the next page mounts
    // after its module loads): then the URL is no longer this page's.
    if (!life.alive || location.pathname !== '/devices') return;
    history.replaceState(null, '', '/devices' + (search.value ? '?q=' + encodeURIComponent(search.value) : ''));
    apply();
  }, 120));
  roleSel.addEventListener('change', apply);
  load();
  life.every(REFRESH_MS, load);
  life.own(() => list.destroy());
}
