// One scope: its grandmaster as announced (quality decoded), the history of
// its grandmasters, every instance and the traffic per message type.

import { get } from '../api.js';
import { accuracyText, classText, varianceText } from '../ptp.js';
import { stateLabel } from '../words.js';
import { ago, copyButton, debounce, fill, h, messageTypes, ns, num, srcBadge, stateColour, time, typeChip } from '../util.js';

const SHOWN = 500; // instance rows drawn at most; search finds the rest

export function mount(root, params, _q, life) {
  const id = params.id;
  const head = h('div');
  const gm = h('section.panel#scope-gm');
  const hist = h('section.panel#scope-gm-history');
  const traffic = h('section.panel#scope-traffic');
  const search = h('input#inst-search', { type: 'search', placeholder: 'Search port identity, address, vendor, state…', size: 36, 'aria-label': 'Search instances' });
  const instCount = h('span.count');
  const insts = h('div#scope-instances');
  root.append(
    h('div.muted', { style: { marginBottom: '8px' } }, h('a', { href: '/', 'data-link': true }, '← Overview')),
    head,
    h('div.grid.cols-2', gm, traffic),
    h('div', { style: { marginTop: '12px' } }, hist),
    h('section.panel', { style: { marginTop: '12px' } },
      h('div.toolbar', h('h2', { style: { margin: 0 } }, 'Instances'), search, h('span.grow'), instCount), insts),
  );

  let scope = null;
  let instances = [];
  let vendors = new Map();
  let tag = null;

  function kv(pairs) {
    return h('dl.kv', pairs.filter(Boolean).map(([k, v]) => [h('dt', k), h('dd', v)]));
  }

  function drawScope() {
    const s = scope;
    fill(head, h('h1', { title: s.name }, s.name, copyButton(s.name)),
      h('div.muted', { style: { marginBottom: '10px' } },
        `PTPv${s.versionPTP} · ${s.transport}` + (s.domainNumber !== undefined ? ` · domain ${s.domainNumber}` : '') +
        (s.subdomain ? ` · subdomain ${s.subdomain}` : '') + (s.vlan !== undefined ? ` · VLAN ${s.vlan}` : '') +
        ` · segment ${s.segment} · first seen ${time(s.firstSeen)} · last seen ${ago(s.lastSeen)}`,
        ' · ', h('a', { href: '/packets?scope=' + s.id, 'data-link': true }, 'packets'),
        ' · ', h('a', { href: '/hierarchy?scope=' + encodeURIComponent(s.name), 'data-link': true }, 'hierarchy'),
        ' · ', h('a', { href: '/events?scope=' + encodeURIComponent(s.name), 'data-link': true }, 'events')));
    const g = s.grandmaster;
    fill(gm, h('h2', 'Grandmaster'), g ? kv([
      ['grandmasterIdentity', h('span', h('a.id', { href: '/devices/' + g.grandmasterIdentity, 'data-link': true }, g.grandmasterIdentity), copyButton(g.grandmasterIdentity))],
      ['vendor', g.vendor || '–'],
      ['announced by', h('span.id', g.announcedBy)],
      ['priority1', h('span#gm-priority1', String(g.grandmasterPriority1))],
      ['clockClass', h('span#gm-class', classText(g.clockClass))],
      ['clockAccuracy', h('span#gm-accuracy', accuracyText(g.clockAccuracy))],
      ['offsetScaledLogVariance', h('span#gm-variance', varianceText(g.offsetScaledLogVariance))],
      ['priority2', h('span#gm-priority2', String(g.grandmasterPriority2))],
      ['timeSource', h('span#gm-timesource', g.timeSource)],
      ['currentUtcOffset', h('span#gm-utc', g.currentUtcOffset + ' s')],
      ['flags', h('span#gm-flags', (g.flags || []).join(', ') || 'none')],
      ['stepsRemoved', String(g.stepsRemoved)],
      ['grandmaster since', g.since ? time(g.since) : '–'],
      ['changes seen', num(s.grandmasterChanges)],
    ]) : h('p.sev-warning', 'No grandmaster announced in this scope.'));
    const total = Object.values(s.counts || {}).reduce((a, b) => a + b, 0);
    const rate = Object.values(s.rates || {}).reduce((a, b) => a + b, 0);
    fill(traffic, h('h2', 'Traffic'), h('table.t#scope-traffic-table',
      h('thead', h('tr', h('th', { scope: 'col' }, 'message type'), h('th.num', { scope: 'col' }, 'per second'), h('th.num', { scope: 'col' }, 'total'))),
      h('tbody',
        messageTypes.filter((t) => (s.counts || {})[t]).map((t) => h('tr', { dataset: { type: t } },
          h('td', typeChip(t)), h('td.num', num((s.rates || {})[t] || 0) + '/s'), h('td.num', num(s.counts[t])))),
        h('tr', h('td', h('b', 'all')), h('td.num', h('b', num(rate) + '/s')), h('td.num', h('b', num(total))))),
    ), h('div.muted', 'Messages per second over the last whole second; totals since the scope was first seen.'));
  }

  function drawInstances() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const hay = (i) => [i.portIdentity, i.address, i.mac, vendors.get(i.clockIdentity), i.portState, stateLabel(i.portState)].join(' ').toLowerCase();
    const match = instances.filter((i) => words.every((w) => hay(i).includes(w)));
    // The grandmaster's port first, then masters, then the rest.
    const rank = (i) => (scope && scope.grandmaster && i.portIdentity === scope.grandmaster.announcedBy ? 0 : i.portState === 'MASTER' ? 1 : 2);
    match.sort((a, b) => rank(a) - rank(b) || (a.portIdentity < b.portIdentity ? -1 : 1));
    instCount.textContent = (match.length > SHOWN ? `first ${num(SHOWN)} of ` : '') + `${num(match.length)} of ${num(instances.length)} instances`;
    fill(insts, h('table.t',
      h('thead', h('tr', ['portIdentity', 'state', 'address', 'vendor', 'offset', 'stepsRemoved', 'parent', 'last seen'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', match.slice(0, SHOWN).map((i) => h('tr', { dataset: { instance: i.id, port: i.portIdentity } },
        h('td.id', h('a', { href: '/devices/' + i.clockIdentity, 'data-link': true }, i.portIdentity)),
        h('td', h('span.chip.state', { style: { '--c': stateColour(i.portState) }, title: `${i.portState} (${i.portStateSource})` }, stateLabel(i.portState)),
          srcBadge(i.portStateSource)),
        h('td.mono', i.address || i.mac || '–'),
        h('td', vendors.get(i.clockIdentity) || '–'),
        h('td.num', { title: i.offsetFromCapture ? i.offsetFromCapture.note : '' }, i.offsetFromCapture ? [ns(i.offsetFromCapture.lastNs), srcBadge(i.offsetFromCapture.source)] : '–'),
        h('td.num', i.announce ? String(i.announce.stepsRemoved) : '–'),
        h('td.id', i.parentPortIdentity ? [i.parentPortIdentity, srcBadge(i.parentSource)] : '–'),
        h('td', ago(i.lastSeen)))))));
  }

  async function loadHistory() {
    try {
      const r = await life.get('/events?' + new URLSearchParams({ type: 'Grandmaster Changed', tail: '10000' }));
      const evs = r.events.filter((e) => e.scope === scope.name).reverse();
      fill(hist, h('h2', 'Grandmaster history'), evs.length ? h('table.t#gm-history',
        h('thead', h('tr', ['time', 'from', 'to', 'detail'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', evs.map((e) => h('tr', { dataset: { seq: e.seq } },
          h('td.mono', h('a', { href: `/events?seq=${e.seq}&type=${encodeURIComponent(e.type)}`, 'data-link': true }, time(e.time))),
          h('td.id', e.before ? h('a', { href: '/devices/' + e.before, 'data-link': true }, e.before) : '∅'),
          h('td.id', e.after ? h('a', { href: '/devices/' + e.after, 'data-link': true }, e.after) : '∅'),
          h('td', e.detail || '')))))
        : h('p.muted', scope.grandmaster ? `${scope.grandmaster.grandmasterIdentity} has been the grandmaster since the scope was first seen.` : 'No grandmaster yet.'));
    } catch (err) {
      fill(hist, h('h2', 'Grandmaster history'), h('p.sev-warning', 'Cannot load the events: ' + err.message));
    }
  }

  async function load(first) {
    try {
      const [s, inst] = await Promise.all([life.get('/scopes/' + encodeURIComponent(id)), life.getTagged('/scopes/' + encodeURIComponent(id) + '/instances', tag)]);
      scope = s;
      drawScope();
      if (!inst.same) {
        tag = inst.tag;
        instances = inst.data;
        drawInstances();
      }
      if (first) {
        loadHistory();
        // Vendors come with the devices: one list of identities and one of vendors.
        life.settle(Promise.all([get('/devices/*/clockIdentity'), get('/devices/*/vendor')])).then(([ids, vs]) => {
          vendors = new Map(ids.map((c, k) => [c, vs[k]]));
          drawInstances();
        }).catch(() => {});
      }
    } catch (err) {
      if (first) fill(root, h('h1', 'Scope not found'), h('p.sev-warning', err.status === 404 ? `No scope ${id} in the model.` : 'Cannot load the scope: ' + err.message),
        h('a', { href: '/', 'data-link': true }, '← Overview'));
    }
  }

  search.addEventListener('input', debounce(drawInstances, 120));
  load(true);
  life.every(5000, () => load(false));
  life.every(30000, loadHistory);
}
