// Hierarchy: per scope, the tree from the grandmaster through boundary
// clocks to the followers, as an outline (an ARIA tree). The grandmaster
// comes first; a port's followers are one group under it, collapsed when
// there are many, and ports that have followers of their own (boundary
// clocks) are listed before the group. A search shows the matching ports
// with the path to them. Only the rows in view are drawn, so thousands of
// followers cost no more than a few.

import { navigate } from '../app.js';
import { aliases, portName } from '../names.js';
import { roleText, stateLabel } from '../words.js';
import { h, num, stateColour, VirtualList, fill } from '../util.js';

const ROW = 26; // row height
const SMALL = 12; // followers listed without a group up to this many

export function mount(root, _params, q, life) {
  let data = [];
  let text = '';
  let names = new Map();
  // Open or closed by the user, by row key; the rest take their defaults
  // (scopes and ports open, large groups closed).
  const toggled = new Map();
  let query = (q.get('q') || '').trim();
  const scopeSel = h('select#hier-scope', { 'aria-label': 'Scope' }, h('option', { value: '' }, 'All scopes'));
  const search = h('input#hier-search', { type: 'search', placeholder: 'Search ports: identity, name, role, state', 'aria-label': 'Search ports', value: query, size: 36 });
  const expandAll = h('button#hier-expand', { type: 'button', title: 'Open every group' }, 'Expand all');
  const collapseAll = h('button#hier-collapse', { type: 'button', title: 'Close every group of followers' }, 'Collapse groups');
  const count = h('span.count#hier-count', { role: 'status' });
  const body = h('div.tree-body', { role: 'tree', 'aria-label': 'PTP hierarchy' });
  const box = h('div.hier#hierarchy', body);
  root.append(h('div.toolbar', scopeSel, search, expandAll, collapseAll,
    h('span.muted', 'Link to the parent: measured (from Delay_Req/Resp or Pdelay) or inferred · ', h('span.cross-note', '↗ other scope')),
    h('span.grow'), count), box);
  // The scope asked for in the URL, chosen once the list of scopes is there.
  let scope = q.get('scope') || '';

  let rows = [];
  const list = new VirtualList(body, {
    rowHeight: ROW,
    render: renderRow,
    key: (r) => r.key,
    onKey: treeKey,
  });
  life.own(() => list.destroy());

  function setURL() {
    const p = new URLSearchParams();
    if (scope) p.set('scope', scope);
    if (query) p.set('q', query);
    const s = p.toString();
    history.replaceState(null, '', '/hierarchy' + (s ? '?' + s : ''));
  }

  scopeSel.addEventListener('change', () => { scope = scopeSel.value; setURL(); build(); });
  search.addEventListener('input', () => { query = search.value.trim(); setURL(); build(); });
  expandAll.addEventListener('click', () => { toggled.clear(); for (const r of allGroups()) toggled.set(r, true); build(); });
  collapseAll.addEventListener('click', () => {
    toggled.clear();
    for (const k of allGroups()) toggled.set(k, false);
    build();
  });

  // allGroups lists the keys of every group of followers.
  function allGroups() {
    const keys = [];
    const walk = (n, path) => {
      const kids = n.children || [];
      const leaves = kids.filter((c) => !(c.children && c.children.length));
      if (leaves.length > SMALL) keys.push('g:' + path);
      for (const c of kids) if (c.children && c.children.length) walk(c, path + '/' + c.portIdentity);
    };
    for (const r of roots()) walk(r, r.scope + '/' + r.portIdentity);
    return keys;
  }

  function roots() { return data.filter((r) => !scope || r.scope === scope); }

  // words is what a search looks in for a port.
  function words(n) {
    return (n.portIdentity + ' ' + portName(names, n.portIdentity) + ' ' + roleText(n.role) + ' ' + stateLabel(n.portState) + ' ' + n.portState).toLowerCase();
  }

  // build flattens the open part of the trees into rows.
  function build() {
    const out = [];
    const needle = query.toLowerCase();
    let matches = 0;
    let ports = 0;
    // hits tells, for a node, whether it or a descendant matches.
    const memo = new Map();
    const hits = (n) => {
      if (!needle) return true;
      let v = memo.get(n);
      if (v !== undefined) return v;
      v = words(n).includes(needle);
      if (v) matches++;
      for (const c of n.children || []) if (hits(c)) v = true;
      memo.set(n, v);
      return v;
    };
    const isOpen = (key, def) => (needle ? true : (toggled.has(key) ? toggled.get(key) : def));
    // Siblings are pushed with their set size and position for assistive
    // technology.
    const siblings = (items) => items.forEach((r, i) => { r.setsize = items.length; r.posinset = i + 1; });
    function node(n, level, path, parent) {
      ports++;
      const key = 'n:' + path;
      const kids = (n.children || []).filter(hits);
      const branches = kids.filter((c) => c.children && c.children.length);
      const leaves = kids.filter((c) => !(c.children && c.children.length)).sort(byConcern);
      const r = { key, kind: 'node', level, n, parent, expandable: kids.length > 0 };
      r.open = r.expandable && isOpen(key, true);
      r.match = !!needle && words(n).includes(needle);
      out.push(r);
      if (!r.open) { ports += countPorts(n) - 1; return r; }
      const items = [];
      for (const c of branches) items.push(() => node(c, level + 1, path + '/' + c.portIdentity, n));
      if (leaves.length > SMALL) {
        items.push(() => group(n, leaves, level + 1, path));
      } else {
        for (const c of leaves) items.push(() => node(c, level + 1, path + '/' + c.portIdentity, n));
      }
      const made = [];
      for (const f of items) made.push(f());
      siblings(made);
      return r;
    }
    function group(parent, leaves, level, path) {
      const key = 'g:' + path;
      const states = new Map();
      for (const c of leaves) states.set(c.portState, (states.get(c.portState) || 0) + 1);
      const r = { key, kind: 'group', level, parent, leaves, states, expandable: true };
      r.open = isOpen(key, false);
      out.push(r);
      if (!r.open) { ports += leaves.length; return r; }
      const made = leaves.map((c) => node(c, level + 1, path + '/' + c.portIdentity, parent));
      siblings(made);
      return r;
    }
    const scopeRows = [];
    for (const t of roots()) {
      if (!hits(t)) continue;
      const key = 's:' + t.scope;
      const r = { key, kind: 'scope', level: 1, scope: t.scope, total: countPorts(t), expandable: true };
      r.open = isOpen(key, true);
      out.push(r);
      scopeRows.push(r);
      if (r.open) { const g = node(t, 2, t.scope + '/' + t.portIdentity, null); g.setsize = 1; g.posinset = 1; } else ports += r.total;
    }
    siblings(scopeRows);
    rows = out;
    list.setItems(rows);
    if (!data.length) fill(count, 'No hierarchy yet: no grandmaster has been seen.');
    else if (needle) fill(count, `${num(matches)} matching port${matches === 1 ? '' : 's'}`);
    else fill(count, `${num(scopeRows.length)} tree${scopeRows.length === 1 ? '' : 's'} · ${num(ports)} ports`);
    body.setAttribute('aria-busy', 'false');
  }

  function toggle(r) {
    if (!r.expandable) return;
    toggled.set(r.key, !r.open);
    build();
  }

  function renderRow(r) {
    const e = h('div.trow', {
      role: 'treeitem', 'aria-level': r.level, 'aria-setsize': r.setsize || 1, 'aria-posinset': r.posinset || 1,
      'aria-expanded': r.expandable ? String(r.open) : null,
      dataset: { key: r.key, kind: r.kind },
      style: { paddingLeft: (r.level - 1) * 20 + 6 + 'px' },
    });
    const tw = h('span.tw', { 'aria-hidden': 'true' }, r.expandable ? (r.open ? '▾' : '▸') : '');
    if (r.expandable) tw.addEventListener('click', (ev) => { ev.stopPropagation(); toggle(r); });
    e.append(tw);
    if (r.kind === 'scope') {
      e.append(h('b.scope-name', { title: r.scope }, r.scope), h('span.muted', ` · ${num(r.total)} port${r.total === 1 ? '' : 's'}`));
      e.addEventListener('click', () => toggle(r));
      e.dataset.scope = r.scope;
      return e;
    }
    if (r.kind === 'group') {
      const parentName = portName(names, r.parent.portIdentity) || r.parent.portIdentity;
      const st = [...r.states.entries()].sort((a, b) => b[1] - a[1]).map(([s, n]) => h('span.chip.state', { style: { '--c': stateColour(s) }, 'data-state': s }, `${num(n)} ${stateLabel(s)}`));
      e.append(h('span', `${num(r.leaves.length)} ports following ${parentName}`), ...st);
      e.dataset.count = r.leaves.length;
      e.addEventListener('click', () => toggle(r));
      return e;
    }
    const n = r.n;
    const alias = portName(names, n.portIdentity);
    e.dataset.port = n.portIdentity;
    e.dataset.state = n.portState;
    if (n.link) e.dataset.link = n.link;
    if (r.match) e.classList.add('match');
    e.title = `${n.portIdentity}\n${n.scope}\n${roleText(n.role)} · ${stateLabel(n.portState)}` + (n.link ? `\nlink to ${r.parent ? r.parent.portIdentity : 'parent'}: ${n.link}` : '');
    e.append(...[
      h('span.stripe', { style: { background: stateColour(n.portState) }, 'aria-hidden': 'true' }),
      alias ? h('b.alias', alias) : null,
      h('span.id', n.portIdentity),
      h('span.role', roleText(n.role)),
      h('span.chip.state', { style: { '--c': stateColour(n.portState) } }, stateLabel(n.portState)),
      n.link ? h('span.link.' + (n.link === 'measured' ? 'measured' : 'inferred'), n.link) : null,
      r.parent && r.parent.scope !== n.scope ? h('span.cross', { title: 'The link leads into another scope: ' + n.scope }, '↗ ' + n.scope) : null,
    ].filter(Boolean));
    e.addEventListener('click', () => navigate('/devices/' + n.portIdentity.replace(/-\d+$/, '')));
    return e;
  }

  // treeKey adds the tree's keys to the list's: Right opens or moves to the
  // first child, Left closes or moves to the parent, Enter opens a port's
  // device or opens and closes a group, * opens the siblings.
  function treeKey(ev, r, i) {
    if (!r) return false;
    switch (ev.key) {
      case 'ArrowRight':
        if (r.expandable && !r.open) toggle(r);
        else if (r.expandable) list.focusIndex(i + 1);
        return true;
      case 'ArrowLeft':
        if (r.expandable && r.open) { toggle(r); return true; }
        for (let j = i - 1; j >= 0; j--) if (rows[j].level < r.level) { list.focusIndex(j); break; }
        return true;
      case 'Enter':
        if (r.kind === 'node') navigate('/devices/' + r.n.portIdentity.replace(/-\d+$/, ''));
        else toggle(r);
        return true;
      case ' ':
        if (r.expandable) toggle(r);
        return true;
    }
    return false;
  }

  async function load() {
    try {
      const [t, m] = await life.settle(Promise.all([fetch('/api/v1/hierarchy', { signal: life.signal }).then((r) => {
        if (!r.ok) throw new Error(r.statusText);
        return r.text();
      }), aliases().catch(() => names)]));
      const changed = t !== text || m !== names;
      text = t;
      names = m;
      if (!changed) return;
      data = JSON.parse(t);
      // Grandmasters of the domain-0-like scopes first, each tree in scope order.
      data.sort((a, b) => a.scope.localeCompare(b.scope));
      const scopes = [...new Set(data.map((r) => r.scope))];
      fill(scopeSel, h('option', { value: '' }, 'All scopes'), scopes.map((s) => h('option', { value: s }, s)));
      scopeSel.value = scope;
      build();
    } catch (err) {
      fill(count, 'error: ' + err.message);
    }
  }

  body.setAttribute('aria-busy', 'true');
  load();
  life.every(5000, load);
}

// byConcern orders followers: ports in unusual states first, then by
// identity.
const usual = new Set(['SLAVE']);
function byConcern(a, b) {
  const ua = usual.has(a.portState) ? 1 : 0;
  const ub = usual.has(b.portState) ? 1 : 0;
  return ua - ub || (a.portIdentity < b.portIdentity ? -1 : a.portIdentity > b.portIdentity ? 1 : 0);
}

function countPorts(n) {
  let k = 1;
  for (const c of n.children || []) k += countPorts(c);
  return k;
}
