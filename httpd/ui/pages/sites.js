// Sites: forwarding between sites. On a collector, every probe site it
// hears (connected or lost, its interfaces and segments, frames, drops,
// forwarding loss); on a probe, its own forwarding (queue depth, each
// collector link). A forwarding-only probe (forward.evaluate = false)
// shows this page and nothing else.

import { ago, bytes, fill, h, num, time } from '../util.js';

const REFRESH_MS = 2000;

export function mount(root, _params, _q, life) {
  const count = h('span.count');
  const body = h('div#sites');
  root.append(h('div.toolbar', h('h1', { style: { margin: 0 } }, 'Sites'), h('span.grow'), count), body);

  const kv = (pairs) => h('dl.kv', pairs.filter(Boolean).map(([k, v]) => [h('dt', k), h('dd', v)]));
  const link = (up) => h('span.pill' + (up ? '.ok' : '.warn'), up ? 'connected' : 'lost');
  const warnIf = (n) => (n ? h('span.sev-warning', num(n)) : num(n));
  const lag = (s) => (s.lagSeconds ? s.lagSeconds.toFixed(3) + ' s' : '–');
  const seen = (s) => (s.lastSeen ? h('span', { title: s.lastSeen }, ago(Date.parse(s.lastSeen) * 1e6)) : 'never');

  function remoteTable(list) {
    return h('section.panel',
      h('h2', 'Probe sites this collector hears'),
      h('table.t#site-list',
        h('thead', h('tr', ['site', 'link', 'interfaces (segment)', 'frames', 'bytes', 'forwarding loss', 'capture drops', 'queue drops', 'replayed', 'lag', 'last seen']
          .map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', list.map(([name, s]) => h('tr', { dataset: { site: name, connected: String(s.connected) } },
          h('th.mono', { scope: 'row' }, name),
          h('td', link(s.connected)),
          h('td', (s.interfaces || []).map((i) => h('span.chip.mono', { dataset: { segment: i.segment } }, `${i.name} (seg ${i.segment})`))),
          h('td.num', num(s.framesForwarded)),
          h('td.num', bytes(s.bytesForwarded)),
          h('td.num.loss', warnIf(s.droppedFrames)),
          h('td.num', warnIf(s.probeCaptureDrops)),
          h('td.num', warnIf(s.probeQueueDrops)),
          h('td.num', warnIf(s.replayedBatches)),
          h('td.num', lag(s)),
          h('td', seen(s)))))));
  }

  function refusals(r) {
    if (!r) return null;
    const names = { not_sealed: 'not sealed', truncated: 'truncated', unknown_key: 'unknown key', forged: 'altered or wrong key', replayed: 'replayed',
      malformed: 'malformed', address: 'address not allowed', credentials: 'wrong credentials', wrong_subject: 'sealed as another site' };
    return h('section.panel#site-refusals',
      h('h2', 'Refused by this collector'),
      kv(Object.entries(names).map(([k, label]) => [label, warnIf(r[k] || 0)])));
  }

  function probePanel(name, s) {
    return h('section.panel#probe-status', { dataset: { site: name, connected: String(s.connected) } },
      h('h2', 'This probe: site ', h('span.mono', name)),
      kv([
        ['link', link(s.connected)],
        ['evaluates frames', s.evaluate === false ? 'no: forwarding only (no model of its own)' : 'yes'],
        ['segment', s.segment === undefined ? 'each interface\u2019s own' : String(s.segment)],
        ['frames forwarded', num(s.framesForwarded)],
        ['queued', h('span#probe-queued', `${num(s.queuedBatches)} batches, ${bytes(s.queuedBytes)}`)],
        ['forwarding loss', warnIf(s.droppedFrames)],
        ['capture drops', warnIf(s.probeCaptureDrops)],
        ['lag', lag(s)],
        ['last acknowledged', seen(s)],
      ]),
      h('h3', 'Collectors'),
      h('table.t#probe-collectors',
        h('thead', h('tr', ['collector', 'link', 'frames', 'bytes', 'queued batches', 'dropped frames', 'link failures', 'last error'].map((x) => h('th', { scope: 'col' }, x)))),
        h('tbody', (s.collectors || []).map((c) => h('tr',
          h('td.mono', c.url),
          h('td', link(c.connected)),
          h('td.num', num(c.frames_forwarded)),
          h('td.num', bytes(c.bytes_forwarded)),
          h('td.num', num(c.queued_batches)),
          h('td.num', warnIf(c.dropped_frames)),
          h('td.num', num(c.link_failures)),
          h('td', c.last_error || ''))))));
  }

  function draw(sites) {
    const entries = Object.entries(sites).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const remote = entries.filter(([, s]) => s.role === 'remote');
    const probe = entries.filter(([, s]) => s.role === 'probe');
    const lost = remote.filter(([, s]) => !s.connected).length;
    count.textContent = remote.length ? `${num(remote.length)} site${remote.length === 1 ? '' : 's'}, ${num(lost)} lost` : '';
    if (!entries.length) {
      fill(body, h('p.muted#sites-none', 'This appliance neither forwards frames nor collects them: see [forward] and [collector] in the configuration (ptpwatch -O).'));
      return;
    }
    fill(body,
      probe.map(([name, s]) => probePanel(name, s)),
      remote.length ? remoteTable(remote) : null,
      remote.length ? refusals(remote[0][1].refused) : null,
      h('p.muted', 'Updated ', time(Date.now() * 1e6, false), ' · ', h('a', { href: '/api/v1/sites' }, 'as JSON')));
  }

  async function load() {
    try {
      draw(await life.get('/sites'));
    } catch (err) {
      fill(body, h('p.sev-warning', 'Cannot load the sites: ' + err.message));
    }
  }
  load();
  life.every(REFRESH_MS, load);
}
