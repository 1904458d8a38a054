// Management: what ptpwatch learns by asking. The sweep settings, the plan
// of the next sweep, every node with an online/partial/offline badge and
// its capability matrix (which management IDs it answers, ignores or
// refuses), the values it reported with their source and age, and the
// master check's offset and path delay per master.

import { send } from '../api.js';
import { ago, fill, h, num, svg, toast } from '../util.js';

const ids = ['DEFAULT_DATA_SET', 'CURRENT_DATA_SET', 'PARENT_DATA_SET', 'TIME_PROPERTIES_DATA_SET', 'PORT_DATA_SET',
  'CLOCK_DESCRIPTION', 'USER_DESCRIPTION', 'TIME_STATUS_NP', 'PORT_DATA_SET_NP', 'PORT_STATS_NP', 'PORT_SERVICE_STATS_NP'];
const short = { DEFAULT_DATA_SET: 'DDS', CURRENT_DATA_SET: 'CDS', PARENT_DATA_SET: 'PDS', TIME_PROPERTIES_DATA_SET: 'TPDS',
  PORT_DATA_SET: 'PortDS', CLOCK_DESCRIPTION: 'ClkDesc', USER_DESCRIPTION: 'UserDesc', TIME_STATUS_NP: 'TimeSt',
  PORT_DATA_SET_NP: 'PortNP', PORT_STATS_NP: 'Stats', PORT_SERVICE_STATS_NP: 'Svc' };
const statusClass = { online: 'ok', partial: 'warn', offline: 'bad' };

function field(label, input) {
  return [h('label', { for: input.id }, label), input];
}

function select(id, options, value) {
  const s = h('select#' + id, options.map(([v, t]) => h('option', { value: v }, t)));
  s.value = String(value);
  return s;
}

// chart draws the offset and path delay series of one master as two lines.
function chart(series) {
  const W = 420, H = 90;
  if (!series.length) return h('span.muted', 'no samples yet');
  const t0 = series[0].at, t1 = series[series.length - 1].at || t0 + 1;
  const vals = series.flatMap((s) => [s.offsetNs, s.meanPathDelayNs]);
  const lo = Math.min(...vals), hi = Math.max(...vals), span = hi - lo || 1;
  const x = (t) => ((t - t0) / (t1 - t0 || 1)) * (W - 10) + 5;
  const y = (v) => H - 5 - ((v - lo) / span) * (H - 10);
  const line = (key, cls) => svg('polyline', { class: cls, fill: 'none', 'stroke-width': 1.5,
    points: series.map((s) => `${x(s.at).toFixed(1)},${y(s[key]).toFixed(1)}`).join(' ') });
  const el = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: 'img',
    'aria-label': `offset and mean path delay, ${series.length} samples, from ${num(lo)} to ${num(hi)} ns` },
  line('offsetNs', 'mc-offset'), line('meanPathDelayNs', 'mc-delay'));
  return el;
}

export function mount(root, params, q, life) {
  const enabled = h('input#mg-enabled', { type: 'checkbox' });
  const interval = h('input#mg-interval', { type: 'number', min: 5, max: 86400 });
  const domains = h('input#mg-domains', { placeholder: 'seen on the wire', size: 14 });
  const transport = select('mg-transport', [['any', 'any'], ['udpv4', 'UDP/IPv4'], ['udpv6', 'UDP/IPv6'], ['l2', 'IEEE 802.3']], 'any');
  const version = select('mg-version', [['any', 'any'], ['v1', 'PTPv1 (1588-2002)'], ['v2', 'PTPv2']], 'any');
  const scope = select('mg-scope', [['2', 'link-local (2)'], ['5', 'site (5)'], ['8', 'organisation (8)'], ['14', 'global (14)']], 14);
  const follow = select('mg-follow', [['unicast', 'unicast'], ['multicast', 'multicast']], 'unicast');
  const rate = h('input#mg-rate', { type: 'number', min: 1, max: 1000 });
  const summary = h('div#mgmt-summary.muted');
  const plan = h('div#mgmt-plan.muted');
  const nodes = h('table.t#mgmt-nodes');
  const masters = h('div#mgmt-masters');
  let loaded = false;

  function fillForm(s) {
    enabled.checked = s.enabled;
    interval.value = s.interval;
    domains.value = s.domains;
    transport.value = s.transport;
    version.value = s.version;
    scope.value = String(s.ipv6Scope);
    follow.value = s.followUps;
    rate.value = s.rate;
  }

  async function save() {
    const body = { enabled: enabled.checked, interval: Number(interval.value), domains: domains.value.trim(), transport: transport.value,
      version: version.value, ipv6Scope: Number(scope.value), followUps: follow.value, rate: Number(rate.value) };
    try {
      const st = await life.settle(send('PUT', '/management', body));
      fillForm(st.settings);
      toast('Management settings saved', 'ok');
      load();
    } catch (e) {
      toast('Management settings not saved: ' + e.message, 'error');
    }
  }

  // Sweep now is off while a sweep is under way (the server would answer
  // 409).
  const sweepBtn = h('button#mg-sweep', { onclick: sweep, title: 'Sweep every scope now' }, 'Sweep now');

  async function sweep() {
    try {
      await life.settle(send('POST', '/management/sweep'));
      toast('Sweep started', 'ok');
      life.after(2500, load);
    } catch (e) {
      toast('No sweep: ' + e.message, 'error');
    }
  }

  const v1Names = {
    PTP_MM_DEFAULT_DATA_SET: 'DEFAULT_DATA_SET', PTP_MM_CURRENT_DATA_SET: 'CURRENT_DATA_SET', PTP_MM_PARENT_DATA_SET: 'PARENT_DATA_SET',
    PTP_MM_PORT_DATA_SET: 'PORT_DATA_SET', PTP_MM_GLOBAL_TIME_DATA_SET: 'TIME_PROPERTIES_DATA_SET', PTP_MM_CLOCK_IDENTITY: 'CLOCK_DESCRIPTION',
  };

  function drawNodes(st) {
    const last = st.lastSweep;
    sweepBtn.disabled = !!st.sweeping;
    sweepBtn.title = st.sweeping ? 'A sweep is under way' : 'Sweep every scope now';
    fill(summary, st.sweeping ? 'Sweeping now' + (st.paused ? ' (paused: the capture drops frames)' : '') + '. ' : '',
      last ? `Last sweep #${last.number} ${ago(last.started)}: ${num(last.framesSent)} frames sent, ${num(last.replies)} answers, ` +
        `${last.online} online, ${last.partial} partial, ${last.offline} offline` +
        (last.repliesOverCap ? `, ${num(last.repliesOverCap)} answers over the cap` : '') : 'No sweep yet.',
      ` · ptpwatch asks as ${st.portIdentity}`);
    const head = h('thead', h('tr', h('th', 'Clock'), h('th', 'Domain'), h('th', 'Transport'), h('th', 'Address'), h('th', 'Status'),
      ids.map((id) => h('th', { title: id }, short[id])), h('th', 'Reported')));
    const rows = st.nodes.map((n) => {
      // A PTPv1 node's IDs carry 1588-2002 names: its matrix row uses the
      // PTPv2 IDs they stand for.
      const v2 = (x) => v1Names[x] || x;
      const [answers, refuses, ignores] = [n.answers, n.refuses, n.ignores].map((l) => l.map(v2));
      const mark = (id) => {
        if (answers.includes(id)) return h('td.cap.yes', { title: id + ': answered' }, '✓');
        if (refuses.includes(id)) return h('td.cap.no', { title: id + ': refused' }, '✗');
        if (ignores.includes(id)) return h('td.cap.no', { title: id + ': ignored' }, '–');
        return h('td.cap', { title: id + ': not asked' }, '');
      };
      const r = n.reported || {};
      const states = Object.entries(r.portStates || {});
      const port = n.data.find((a) => v2(a.id) === 'PORT_DATA_SET' && a.status === 'answered');
      const reported = states.length ? h('span', states.map(([p, s]) => h('span.chip.state', { dataset: { state: s }, title: 'port ' + p }, s)),
        r.parentPortIdentity ? [' parent ', h('span.mono', r.parentPortIdentity)] : null,
        h('span.muted.last-set', r.timeSinceLastSetMs != null ? ` · set ${num(Math.round(r.timeSinceLastSetMs / 1000))} s ago` : ' · last set unknown'),
        h('span.chip.src', { dataset: { src: 'management' }, title: `reported by the node through management${port ? ', ' + num(port.ageMs / 1000) + ' s ago' : ''}` }, 'management')) : '';
      return h('tr', { dataset: { clock: n.clockIdentity } },
        h('td', h('a.mono', { href: '/devices/' + n.clockIdentity, 'data-link': '' }, n.clockIdentity)),
        h('td', n.versionPTP === 1 ? 'v1 ' + n.subdomain : n.domainNumber), h('td', n.transport), h('td.mono', n.address || n.mac || ''),
        h('td', h('span.pill.' + (statusClass[n.status] || 'warn'), n.status)),
        ids.map(mark), h('td', reported));
    });
    fill(nodes, head, h('tbody', rows.length ? rows : h('tr', h('td', { colspan: ids.length + 6 }, 'No node has answered yet.'))));
  }

  function drawMasters(mv) {
    if (!mv.settings.interval) {
      fill(masters, h('p.muted', 'The master check is off ([master_check] interval).'));
      return;
    }
    const lc = mv.localClock;
    fill(masters,
      h('p.muted', `Offsets are relative to this appliance's clock: ${lc.synchronized ? 'synchronised' : 'not synchronised'}` +
        `, estimated error ${num(lc.estErrorUs)} µs, maximum error ${num(lc.maxErrorUs)} µs (${lc.state || lc.error}).`),
      lc.ptp4l ? h('p.muted', lc.ptp4l.error ? `Local ptp4l (${lc.ptp4l.socket}): ${lc.ptp4l.error}` :
        `Local ptp4l (${lc.ptp4l.socket}, domain ${lc.ptp4l.domainNumber}): ${lc.ptp4l.portState}, grandmaster ${lc.ptp4l.grandmasterIdentity}` +
        (lc.ptp4l.gmPresent ? `, master offset ${num(lc.ptp4l.masterOffsetNs)} ns` : ', no grandmaster present') + '.') : null,
      lc.chrony ? h('p.muted', lc.chrony.error ? `chrony: ${lc.chrony.error}` :
        `chrony: reference ${lc.chrony.referenceId}, stratum ${lc.chrony.stratum}, system time ${num(Math.round(lc.chrony.systemTimeSeconds * 1e9))} ns from NTP time, leap ${lc.chrony.leapStatus}.`) : null,
      h('table.t', h('thead', h('tr', h('th', 'Master'), h('th', 'Domain'), h('th', 'Offset (15 min mean)'), h('th', 'σ'),
        h('th', 'Path delay (15 min mean)'), h('th', 'Samples'), h('th', 'Offset and delay'))),
      h('tbody', mv.masters.map((m) => h('tr',
        h('td.mono', m.portIdentity), h('td', m.domainNumber),
        h('td', num(Math.round(m.offset15m.meanNs)) + ' ns'), h('td', num(Math.round(m.offset15m.stdDevNs)) + ' ns'),
        h('td', num(Math.round(m.meanPathDelay15m.meanNs)) + ' ns'), h('td', num(m.offset15m.samples)),
        h('td', chart(m.series)))))));
  }

  async function load() {
    let st;
    try {
      st = await life.get('/management');
    } catch (e) {
      fill(summary, 'Management is not available: ' + e.message);
      fill(nodes);
      return;
    }
    if (!loaded) { fillForm(st.settings); loaded = true; }
    drawNodes(st);
    try {
      const p = await life.get('/management/plan');
      fill(plan, `The next sweep sends ${num(p.frames)} frames (at most ${num(p.maxFrames)} with retries) to ${p.scopes.length} scopes, ` +
        `at most ${num(p.maxFramesPerSecond)} per second, in at least ${p.minSeconds.toFixed(1)} s.`);
      drawMasters(await life.get('/management/masters'));
    } catch (e) {
      fill(plan, e.message);
    }
  }

  root.append(h('div.settings.management',
    h('h1', 'Management'),
    h('fieldset', h('legend', 'Sweeps'),
      h('p.muted', { style: { marginTop: 0 } }, 'ptpwatch asks every clock with PTP management GETs, rate-limited; off until enabled. Changing them needs the admin role.'),
      h('div.custom', { style: { marginLeft: 0 } },
        h('label', { for: 'mg-enabled' }, 'Periodic sweeps'), enabled, field('Interval (s)', interval), field('Domains', domains),
        field('Transport', transport), field('PTP version', version), field('IPv6 scope', scope), field('Follow-ups', follow),
        field('Frames/s per segment', rate)),
      h('div', h('button#mg-save', { onclick: save }, 'Save'), ' ', sweepBtn),
      plan),
    h('fieldset', h('legend', 'Nodes'), summary, h('div.scroll-x', nodes)),
    h('fieldset', h('legend', 'Master check'), masters)));
  load();
  life.every(5000, load);
}
