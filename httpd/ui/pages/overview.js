// Overview: capture status, the per-type packets/second chart, the fault
// detectors' health verdict, and one card per scope with its grandmaster,
// population, verdict and active findings (explanation and evidence).

import { live, send } from '../api.js';
import { mastersLabel, slavesLabel } from '../words.js';
import { accuracyText, classText, qualityLine } from '../ptp.js';
import { aliases } from '../names.js';
import { bytes, h, messageTypes, num, svg, time, toast, typeChip, typeColour, ago, fill } from '../util.js';

const WINDOW = 300; // seconds of history in the chart

export function mount(root, _params, _q, life) {
  // The capture panel's toolbar is built once and updated in place, so
  // that its buttons keep the keyboard focus while the rest is redrawn
  // every second.
  const capPill = h('span.pill');
  const capName = h('span.muted.ellipsis');
  const startBtn = h('button#cap-start', { onclick: () => control('start'), title: 'Resume reading frames' }, 'Start');
  const stopBtn = h('button#cap-stop', { onclick: () => control('stop'), title: 'Stop reading frames; the model and buffer keep what they hold' }, 'Stop');
  const clearBtn = h('button.danger#cap-clear', { onclick: clearBuffer, title: 'Empty the RAM capture buffer' }, 'Clear buffer');
  const capBody = h('div');
  const capture = h('section.panel#capture',
    h('div.toolbar', h('h2', { style: { margin: 0 } }, 'Capture'), capPill, capName, startBtn, stopBtn, clearBtn), capBody);
  const chartBox = h('div');
  const scopeSel = h('select#chart-scope', { title: 'Scope shown in the chart' }, h('option', { value: '' }, 'All scopes'));
  const legend = h('div.legend', { role: 'group', 'aria-label': 'Message types shown in the chart' });
  const logBox = h('input#chart-log', { type: 'checkbox' });
  logBox.checked = localStorage.getItem('ptpwatch.chartLog') === '1';
  logBox.addEventListener('change', () => { localStorage.setItem('ptpwatch.chartLog', logBox.checked ? '1' : '0'); drawChart(); });
  const chart = h('section.panel#rates', h('div.toolbar', h('h2', { style: { margin: 0 } }, 'Packets per second by type'), h('span.grow'),
    h('label.inline', { title: 'A logarithmic vertical axis: slow types stay visible beside fast ones' }, logBox, 'log scale'), scopeSel), chartBox, legend);
  const scopes = h('div.scopes#scopes');
  const healthBody = h('div');
  const healthPill = h('span.pill.verdict#health-verdict', '…');
  const health = h('section.panel#health', { 'aria-labelledby': 'health-title' },
    h('div.toolbar', h('h2#health-title', { style: { margin: 0 } }, 'Health'), healthPill), healthBody);
  root.append(
    h('div.grid.cols-2', capture, chart),
    health,
    h('h2', { style: { margin: '16px 0 8px' } }, 'Scopes'),
    scopes,
  );

  // history[scopeId] = Map(second → {type: count})
  const history = new Map();
  const hidden = new Set();
  let names = new Map();
  let lastSummary = null;
  let healthNow = null; // the latest GET /health, null until (or without) one
  const openEvidence = new Set(); // findings whose evidence list is open
  let busy = false; // a start or stop is under way
  let awaitingSummary = false;

  life.settle(aliases()).then((m) => { names = m; if (lastSummary) drawScopes(lastSummary); }).catch(() => {});

  function addPoint(scopeId, second, counts) {
    let m = history.get(scopeId);
    if (!m) { m = new Map(); history.set(scopeId, m); }
    m.set(second, counts);
    for (const k of m.keys()) { if (k < second - WINDOW) m.delete(k); else break; }
  }

  // Load the recent history of up to 16 scopes.
  const loaded = new Set();
  async function loadHistory(s) {
    for (const sc of s.scopes.slice(0, 16)) {
      if (loaded.has(sc.id)) continue;
      loaded.add(sc.id);
      try {
        const from = Math.floor(s.time - WINDOW * 1e9);
        const ser = await life.get(`/stats/${sc.id}/series?from=${from}`);
        for (const p of ser.points) {
          const m = history.get(sc.id);
          if (!m || !m.has(p.second)) addPoint(sc.id, p.second, p.counts);
        }
        sortHistory(sc.id);
      } catch { /* the chart fills from the live summary anyway */ }
    }
    drawChart();
  }

  function sortHistory(id) {
    const m = history.get(id);
    if (m) history.set(id, new Map([...m.entries()].sort((a, b) => a[0] - b[0])));
  }

  function drawCapture(s) {
    const src = (s.capture && s.capture.sources && s.capture.sources[0]) || {};
    const c = s.counters || {};
    const b = s.buffer;
    let drops = 0;
    const ifaces = (s.capture && s.capture.interfaces) || [];
    for (const i of ifaces) {
      drops += i.handoffDrops || 0;
      for (const k of ['kernelDrops', 'rxDropped', 'rxRingFull', 'fillRingEmpty', 'rxInvalidDescs', 'badDescs']) drops += (i.counters && i.counters[k]) || 0;
    }
    const stat = (k, v, bad) => h('div.stat' + (bad ? '.bad' : ''), h('div.v', v), h('div.k', k));
    const pct = b && b.limit ? (100 * b.bytes) / b.limit : 0;
    capPill.className = 'pill ' + (src.running ? 'ok' : 'warn');
    capPill.textContent = src.running ? 'running' : 'stopped';
    capName.title = src.name || '';
    capName.textContent = (src.name || '') + (src.interfaces && src.interfaces.length ? ' · ' + src.interfaces.join(', ') : '');
    // Start and Stop are enabled only when they apply (and not while one
    // is under way).
    startBtn.disabled = busy || !!src.running;
    stopBtn.disabled = busy || !src.running;
    clearBtn.disabled = busy || !b;
    fill(capBody,
      h('div.stats',
        stat('received', num(c.received)), stat('decoded', num(c.decoded)), stat('not PTP', num(c.notPTP)),
        stat('truncated', num(c.truncated), c.truncated > 0), stat('malformed', num(c.malformed), c.malformed > 0),
        stat('drops', num(drops), drops > 0), stat('devices', num(s.devices)), stat('instances', num(s.instances)),
      ),
      h('h3', 'RAM capture buffer'),
      b ? h('div',
        h('div.bar', { style: { width: '100%', height: '8px' } }, h('span', { style: { width: pct.toFixed(2) + '%' } })),
        h('div.muted', { style: { marginTop: '4px' } },
          `${bytes(b.bytes)} of ${bytes(b.limit)} (${pct.toFixed(1)}%) · ${num(b.frames)} frames #${num(b.firstFrame)}–#${num(b.lastFrame)} · ${num(b.evicted)} evicted` +
          (b.oldest ? ` · since ${time(b.oldest)}` : '')),
      ) : h('div.muted', 'No RAM capture buffer is configured.'),
      ifaces.length ? h('table.t', { style: { marginTop: '10px' } },
        h('thead', h('tr', ['interface', 'method', 'state', 'received', 'restarts', 'last error'].map((x) => h('th', x)))),
        h('tbody', ifaces.map((i) => h('tr', h('td.mono', i.interface), h('td', i.method || i.configuredMethod), h('td', i.state),
          h('td.num', num(i.received)), h('td.num', num(i.restarts)), h('td.muted', i.lastError || ''))))) : null,
      h('div.muted', { style: { marginTop: '8px' } }, src.started ? 'Started ' + time(Date.parse(src.started) * 1e6) : ''),
    );
  }

  async function control(what) {
    if (what === 'stop' && !confirm('Stop capturing? No frames are read until Start: the model, the buffer and the dashcam see nothing meanwhile.')) return;
    busy = true;
    if (lastSummary) drawCapture(lastSummary);
    try {
      await send('POST', '/capture/' + what);
      toast('Capture ' + (what === 'start' ? 'started' : 'stopped'), 'ok');
      // The next summary says whether it runs; until then the buttons
      // stay disabled.
      awaitingSummary = true;
    } catch (err) {
      toast(`Cannot ${what} the capture: ${err.message}`, 'error');
      busy = false;
      if (lastSummary) drawCapture(lastSummary);
    }
  }

  async function clearBuffer() {
    if (!confirm('Clear the RAM capture buffer? Its frames cannot be viewed or exported afterwards.')) return;
    try {
      await send('POST', '/capture/clear');
      toast('Capture buffer cleared', 'ok');
    } catch (err) {
      toast('Cannot clear the buffer: ' + err.message, 'error');
    }
  }

  // The fault detectors' verdicts, read every 5 s (501 without detectors:
  // the panel says so).
  async function loadHealth() {
    try {
      healthNow = await life.get('/health');
    } catch (err) {
      healthNow = null;
      healthPill.className = 'pill verdict';
      healthPill.textContent = 'unknown';
      fill(healthBody, h('p.muted', 'No health verdicts: ' + err.message));
      return;
    }
    drawHealth();
    if (lastSummary) drawScopes(lastSummary);
  }
  life.every(5000, loadHealth);
  loadHealth();

  const verdictClass = { ok: 'ok', degraded: 'warn', fault: 'bad' };

  function verdictPill(v, id) {
    return h('span.pill.verdict.' + (verdictClass[v] || 'warn'), { id, dataset: { verdict: v }, title: 'Health verdict from the fault detectors' }, v);
  }

  // scopeIds maps a scope name to its ID, for evidence links.
  function scopeIds() {
    const m = new Map();
    for (const sc of Object.values((healthNow && healthNow.scopes) || {})) m.set(sc.name, sc.id);
    return m;
  }

  function evidenceLink(ev, ids) {
    const sid = ev.scope ? ids.get(ev.scope) : undefined;
    const u = new URLSearchParams();
    if (sid !== undefined) u.set('scope', String(sid));
    u.set('from', String(Math.round(ev.time - 1e7)));
    u.set('to', String(Math.round(ev.time + 1e7)));
    const label = ev.frame ? 'frame #' + num(ev.frame) : time(ev.time);
    return h('li',
      h('a.evidence', { href: '/packets?' + u, 'data-link': true, title: 'Frames captured within 10 ms of it' + (ev.frame ? ' (frame ' + ev.frame + ')' : '') }, label),
      ' ', h('span', ev.what), ev.port ? h('span.muted.mono', ' ' + ev.port) : null);
  }

  function findingItem(f, ids) {
    return h('li.finding.sev-border-' + f.severity, { dataset: { finding: String(f.id), kind: f.kind } },
      h('div', h('b.sev-' + f.severity, f.kind), ' ', h('span.muted', f.severity + ' · since ' + time(f.opened)),
        f.acknowledged ? h('span.muted', ' · acknowledged by ' + f.acknowledgedBy) : null),
      h('div.subject.mono', f.subject),
      h('p.explanation', f.explanation),
      f.evidence && f.evidence.length
        ? h('details.evidence', {
          open: openEvidence.has(f.id), // cards are redrawn every second: an opened list stays open
          ontoggle: (e) => { if (e.target.open) openEvidence.add(f.id); else openEvidence.delete(f.id); },
        }, h('summary', `Evidence (${f.evidence.length})`), h('ul', f.evidence.map((ev) => evidenceLink(ev, ids))))
        : null);
  }

  function drawHealth() {
    const hl = healthNow;
    healthPill.className = 'pill verdict ' + (verdictClass[hl.verdict] || 'warn');
    healthPill.dataset.verdict = hl.verdict;
    healthPill.textContent = hl.verdict;
    const findings = Object.values(hl.findings || {});
    const scoped = findings.filter((f) => f.scopes && f.scopes.length).length;
    const ids = scopeIds();
    const learning = Object.values(hl.scopes || {}).filter((sc) => sc.baseline === 'learning').length;
    // Findings that concern no scope (Unicast Refused) are shown here;
    // the others on their scopes' cards.
    const segmentOnly = findings.filter((f) => !f.scopes || !f.scopes.length);
    fill(healthBody,
      h('p', findings.length
        ? `${findings.length} open finding${findings.length > 1 ? 's' : ''}` + (scoped ? ', shown on their scopes below' : '') + '.'
        : 'No open findings.',
      learning ? h('span.muted', ` ${learning} scope${learning > 1 ? 's are' : ' is'} still learning its baseline and not judged yet.`) : null),
      segmentOnly.length ? h('ul.findings#segment-findings', segmentOnly.map((f) => findingItem(f, ids))) : null);
  }

  function scopeHealth(sc) {
    if (!healthNow) return null;
    const sh = (healthNow.scopes || {})[String(sc.id)];
    if (!sh) return h('div.health.muted', 'Not judged yet');
    const ids = scopeIds();
    const fs = sh.findings.map((id) => healthNow.findings[String(id)]).filter(Boolean);
    const base = sh.baseline === 'configured' ? 'configured grandmasters'
      : sh.baseline === 'learning' ? 'learning its baseline until ' + time(sh.learntAt)
        : 'baseline learnt ' + time(sh.learntAt);
    return h('div.health',
      h('div', verdictPill(sh.verdict), ' ', h('span.muted', base)),
      fs.length ? h('ul.findings', { 'aria-label': 'Active findings of ' + sc.name }, fs.map((f) => findingItem(f, ids))) : null);
  }

  function drawScopes(s) {
    if (!s.scopes.length) {
      fill(scopes, h('div.empty', 'No PTP traffic seen yet.'));
      return;
    }
    const now = s.server / 1e6;
    fill(scopes, ...s.scopes.map((sc) => {
      const rate = Object.values(sc.rates).reduce((a, b) => a + b, 0);
      const gmName = sc.grandmaster && names.get(sc.grandmaster);
      return h('div.panel.scope', { dataset: { scope: sc.name } },
        h('h3', h('a.scope-link', { href: '/scopes/' + sc.id, 'data-link': true, title: sc.name }, sc.name), h('span.rate', num(rate) + ' pkt/s')),
        h('div.gm', sc.grandmaster
          ? [h('span.muted', 'Grandmaster '), h('a.id', { href: '/devices/' + sc.grandmaster, 'data-link': true }, sc.grandmaster),
            gmName ? h('b', ' ' + gmName) : null, sc.grandmasterVendor ? h('span.muted', ' · ' + sc.grandmasterVendor) : null,
            sc.grandmasterChanges ? h('span.sev-warning', ` · ${sc.grandmasterChanges} change${sc.grandmasterChanges > 1 ? 's' : ''}`) : null]
          : h('span.sev-warning', 'No grandmaster announced')),
        sc.grandmasterInfo ? h('div.gm-quality.muted', { title: `clockClass ${classText(sc.grandmasterInfo.clockClass)}, clockAccuracy ${accuracyText(sc.grandmasterInfo.clockAccuracy)}` }, qualityLine(sc.grandmasterInfo)) : null,
        // What is wrong in the scope now (a master silent or announcing
        // without Sync): "Last seen" alone says only that something sends.
        sc.problems && sc.problems.length
          ? h('ul.problems', { 'aria-label': 'Active problems' }, sc.problems.map((p) => h('li.sev-critical', { dataset: { type: p.type } },
            h('b', p.type), ' ', h('a.id', { href: '/devices/' + p.subject.split('-')[0], 'data-link': true }, p.subject),
            ': ' + p.detail + ' (since ' + ago(p.since, now) + ')')))
          : null,
        h('dl.kv',
          h('dt', mastersLabel()), h('dd', num(sc.masters)),
          h('dt', slavesLabel()), h('dd', h('b.followers', num(sc.followers))),
          h('dt', 'Instances'), h('dd', num(sc.instances)),
          h('dt', 'Messages'), h('dd', num(sc.total)),
          h('dt', 'Last seen'), h('dd', ago(sc.lastSeen, now)),
        ),
        h('div.rates', messageTypes.filter((t) => sc.rates[t]).map((t) => typeChip(t, ' ' + sc.rates[t] + '/s'))),
        scopeHealth(sc),
      );
    }));
  }

  function drawScopeSelect(s) {
    const have = new Set([...scopeSel.options].map((o) => o.value));
    for (const sc of s.scopes) {
      if (!have.has(String(sc.id))) scopeSel.append(h('option', { value: String(sc.id) }, sc.name));
    }
  }
  scopeSel.addEventListener('change', drawChart);

  function drawChart() {
    const width = Math.max(300, chartBox.clientWidth || 600);
    const height = 220;
    const pad = { l: 42, r: 8, t: 8, b: 20 };
    const sel = scopeSel.value;
    const ids = sel ? [Number(sel)] : [...history.keys()];
    // Sum the chosen scopes per second and type.
    let maxSec = 0;
    let minSec = Infinity;
    for (const id of ids) {
      for (const k of (history.get(id) || new Map()).keys()) { maxSec = Math.max(maxSec, k); minSec = Math.min(minSec, k); }
    }
    // The last five minutes, or less while there is less history (one
    // minute at least).
    const span = Math.max(60, Math.min(WINDOW, maxSec - minSec + 1 || 60));
    const from = maxSec - span + 1;
    const series = {};
    let ymax = 1;
    for (const t of messageTypes) series[t] = new Float64Array(span);
    const present = new Set();
    for (const id of ids) {
      for (const [sec, counts] of history.get(id) || []) {
        if (sec < from) continue;
        for (const [t, n] of Object.entries(counts)) {
          if (!series[t]) continue;
          series[t][sec - from] += n;
          present.add(t);
        }
      }
    }
    for (const t of present) if (!hidden.has(t)) for (const v of series[t]) ymax = Math.max(ymax, v);
    const log = logBox.checked;
    ymax = log ? Math.pow(10, Math.ceil(Math.log10(ymax))) : niceMax(ymax);
    const x = (i) => pad.l + (i / (span - 1)) * (width - pad.l - pad.r);
    // On the log scale 0 sits at the bottom with 1 (log10(1 + v)).
    const frac = log ? (v) => Math.log10(1 + v) / Math.log10(1 + ymax) : (v) => v / ymax;
    const y = (v) => pad.t + (1 - frac(v)) * (height - pad.t - pad.b);
    const g = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img', 'aria-label': 'Packets per second by message type' });
    const ticks = log
      ? [0, ...Array.from({ length: Math.round(Math.log10(ymax)) + 1 }, (_, k) => Math.pow(10, k))]
      : [0, 1, 2, 3, 4].map((i) => (ymax * i) / 4);
    for (const v of ticks) {
      g.append(svg('line', { class: 'axis', x1: pad.l, x2: width - pad.r, y1: y(v), y2: y(v) }));
      g.append(svg('text', { x: pad.l - 5, y: y(v) + 3, 'text-anchor': 'end', class: 'tick' }, num(Math.round(v))));
    }
    // The unit of the vertical axis (the horizontal one's labels carry theirs).
    g.append(svg('text', { x: pad.l + 4, y: pad.t + 9, class: 'unit', 'data-axis': 'y' }, 'pkt/s' + (log ? ', log scale' : '')));
    const step = span > 120 ? 60 : 15;
    for (let back = 0; back < span; back += step) {
      const i = span - 1 - back;
      const label = back === 0 ? 'now' : back % 60 === 0 ? `-${back / 60} min` : `-${back} s`;
      g.append(svg('text', { x: x(i), y: height - 5, 'text-anchor': back === 0 ? 'end' : 'middle' }, label));
    }
    for (const t of messageTypes) {
      if (!present.has(t) || hidden.has(t)) continue;
      const pts = [];
      const a = series[t];
      for (let i = Math.max(0, minSec - from); i < span; i++) pts.push(x(i).toFixed(1) + ',' + y(a[i]).toFixed(1));
      g.append(svg('polyline', { points: pts.join(' '), fill: 'none', style: 'stroke:' + typeColour(t), 'stroke-width': 1.5, 'data-type': t }));
    }
    fill(chartBox, g);
    const focusedType = legend.contains(document.activeElement) ? document.activeElement.dataset.type : null;
    fill(legend, ...messageTypes.filter((t) => present.has(t)).map((t) => {
      const last = series[t][span - 1] || series[t][span - 2] || 0;
      return h('button.legend-item' + (hidden.has(t) ? '.off' : ''), {
        type: 'button', 'aria-pressed': String(!hidden.has(t)), title: (hidden.has(t) ? 'Show ' : 'Hide ') + t, dataset: { type: t },
        onclick: () => { hidden.has(t) ? hidden.delete(t) : hidden.add(t); drawChart(); },
      }, h('i', { style: { background: typeColour(t) }, 'aria-hidden': 'true' }), `${t} ${num(last)} pkt/s`);
    }));
    // The legend is redrawn with the chart: the focused toggle keeps the focus.
    if (focusedType) legend.querySelector(`[data-type="${focusedType}"]`)?.focus({ preventScroll: true });
  }

  life.own(live.on('summary', (s) => {
    lastSummary = s;
    if (awaitingSummary) { awaitingSummary = false; busy = false; }
    const sec = Math.floor(s.time / 1e9) - 1; // rates are of the last whole second
    for (const sc of s.scopes) addPoint(sc.id, sec, sc.rates);
    drawCapture(s);
    drawScopes(s);
    drawScopeSelect(s);
    drawChart();
    loadHistory(s);
  }));
  if (!lastSummary) capBody.append(h('p.loading', 'Waiting for the live summary…'));

}

function niceMax(v) {
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}
