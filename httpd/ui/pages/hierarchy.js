// Hierarchy: per scope, the tree from the grandmaster through boundary
// clocks to the followers, drawn as SVG. Large fan-outs are shown in part
// with a node that reveals more.

import { navigate } from '../app.js';
import { aliases, portName } from '../names.js';
import { roleText, stateLabel } from '../words.js';
import { h, stateColour, svg, fill } from '../util.js';

const W = 280; // node width
const NH = 38; // node height
const GAPX = 70;
const GAPY = 8;
const FIRST = 40; // children shown before a "more" node
const STEP = 200; // children each click on "more" adds

export function mount(root, _params, q, life) {
  let data = [];
  let text = '';
  let names = new Map();
  const shown = new Map(); // node key → children shown
  const scopeSel = h('select#hier-scope', { title: 'Scope' }, h('option', { value: '' }, 'All scopes'));
  const count = h('span.count');
  const box = h('div.hier#hierarchy');
  root.append(h('div.toolbar', scopeSel, h('span.muted', 'Solid lines: measured links · dashed: reported or inferred · amber: into another scope'), h('span.grow'), count), box);
  scopeSel.value = q.get('scope') || '';

  scopeSel.addEventListener('change', () => {
    history.replaceState(null, '', '/hierarchy' + (scopeSel.value ? '?scope=' + encodeURIComponent(scopeSel.value) : ''));
    draw();
  });

  function draw() {
    const roots = data.filter((r) => !scopeSel.value || r.scope === scopeSel.value);
    const g = svg('g', { transform: 'translate(12, 8)' });
    let y = 0;
    let maxX = 0;
    let nodes = 0;
    // place lays out node n at depth d; it returns the centre y.
    function place(n, d, key, parent) {
      const kids = n.children || [];
      const limit = shown.get(key) || FIRST;
      const vis = kids.slice(0, limit);
      const x = d * (W + GAPX);
      maxX = Math.max(maxX, x + W);
      let cy;
      const centres = [];
      vis.forEach((c, i) => centres.push(place(c, d + 1, key + '/' + i, n)));
      if (kids.length > limit) {
        const my = y + NH / 2;
        centres.push(my);
        const more = svg('g', { class: 'node more', transform: `translate(${x + W + GAPX}, ${y})` });
        more.append(svg('rect', { width: W, height: NH, rx: 4 }),
          svg('text', { x: 10, y: 23 }, `+ ${kids.length - limit} more (show ${Math.min(STEP, kids.length - limit)})`));
        more.addEventListener('click', () => { shown.set(key, limit + STEP); draw(); });
        g.append(more);
        edge(x + W, null, x + W + GAPX, my, 'inferred');
        y += NH + GAPY;
      }
      if (centres.length) {
        cy = (centres[0] + centres[centres.length - 1]) / 2;
      } else {
        cy = y + NH / 2;
        y += NH + GAPY;
      }
      node(n, x, cy - NH / 2, parent);
      vis.forEach((c, i) => edge(x + W, cy, x + W + GAPX, centres[i], c.link === 'measured' ? '' : 'inferred', c.scope !== n.scope));
      // edges to the "more" node start at the parent's centre
      for (const p of g.querySelectorAll('path[data-pending]')) { p.setAttribute('d', curve(x + W, cy, x + W + GAPX, Number(p.dataset.pending))); p.removeAttribute('data-pending'); }
      nodes++;
      return cy;
    }
    function edge(x1, y1, x2, y2, cls, cross) {
      const p = svg('path', { class: 'edge' + (cls ? ' ' + cls : '') + (cross ? ' cross' : '') });
      if (y1 === null) p.dataset.pending = y2;
      else p.setAttribute('d', curve(x1, y1, x2, y2));
      g.prepend(p);
    }
    function node(n, x, top, parent) {
      const clock = n.portIdentity.replace(/-\d+$/, '');
      const alias = portName(names, n.portIdentity);
      const e = svg('g', { class: 'node', transform: `translate(${x}, ${top})`, 'data-port': n.portIdentity, 'data-state': n.portState });
      const title = svg('title', {}, `${n.portIdentity}\n${n.scope}\n${roleText(n.role)} · ${stateLabel(n.portState)}` + (n.link ? `\nlink to ${parent ? parent.portIdentity : 'parent'}: ${n.link}` : ''));
      e.append(title,
        svg('rect', { width: W, height: NH, rx: 4 }),
        svg('rect', { width: 4, height: NH, rx: 1, class: 'stripe', style: 'fill:' + stateColour(n.portState) }),
        svg('text', { x: 12, y: 15, class: alias ? '' : 'id' }, alias || n.portIdentity),
        svg('text', { x: 12, y: 30, class: 'sub' }, (alias ? n.portIdentity + ' · ' : '') + roleText(n.role) + ' · ',
          svg('tspan', { style: 'fill:' + stateColour(n.portState), class: 'state' }, stateLabel(n.portState))));
      e.addEventListener('click', () => navigate('/devices/' + clock));
      g.append(e);
    }
    for (const [i, r] of roots.entries()) {
      g.append(svg('text', { class: 'scope-label', x: 0, y: y + 11 }, r.scope));
      y += 18;
      place(r, 0, String(i) + r.portIdentity, null);
      y += 14;
    }
    const s = svg('svg', { width: maxX + 30, height: y + 20, role: 'img', 'aria-label': 'PTP hierarchy' }, g);
    fill(box, roots.length ? s : h('div.empty', { style: { padding: '20px' } }, 'No hierarchy yet: no grandmaster has been seen.'));
    count.textContent = `${roots.length} tree${roots.length === 1 ? '' : 's'} · ${nodes} ports drawn`;
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
      const scopes = [...new Set(data.map((r) => r.scope))].sort();
      const cur = scopeSel.value;
      fill(scopeSel, h('option', { value: '' }, 'All scopes'), scopes.map((s) => h('option', { value: s }, s)));
      scopeSel.value = cur;
      draw();
    } catch (err) {
      count.textContent = 'error: ' + err.message;
    }
  }

  load();
  life.every(5000, load);
}

function curve(x1, y1, x2, y2) {
  const mx = (x1 + x2) / 2;
  return `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
}
