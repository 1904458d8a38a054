// Settings: the words for port states and roles (the appliance's, shared by
// every user), the time zone and the theme (this browser's).

import { presets, saveSettings, settings, stateLabel } from '../settings-store.js';
import { mastersLabel, roleText, slavesLabel } from '../words.js';
import { h, stateColour, toast, fill } from '../util.js';

const states = ['INITIALIZING', 'FAULTY', 'DISABLED', 'LISTENING', 'PRE_MASTER', 'MASTER', 'PASSIVE', 'UNCALIBRATED', 'SLAVE'];
// Role names as the API gives them, and the population labels.
const samples = [
  ['grandmaster', () => roleText('grandmaster')], ['ordinary clock (leader)', () => roleText('ordinary clock (leader)')],
  ['ordinary clock (follower)', () => roleText('ordinary clock (follower)')], ['masters (count)', mastersLabel], ['followers (count)', slavesLabel],
];

export function mount(root) {
  const s = settings();
  const preview = h('table.t#terms-preview');
  const masterIn = h('input#term-master', { value: s.master, maxlength: 32, placeholder: 'Master' });
  const slaveIn = h('input#term-slave', { value: s.slave, maxlength: 32, placeholder: 'Slave' });
  const custom = h('div.custom', h('label', { for: 'term-master' }, 'Word for master'), masterIn, h('label', { for: 'term-slave' }, 'Word for slave'), slaveIn);

  const presetRadios = Object.entries(presets).map(([k, p]) => h('label.opt',
    h('input', { type: 'radio', name: 'preset', value: k, checked: s.preset === k, onchange: () => save({ preset: k }) }), ' ', p.label));

  function redraw() {
    const c = settings();
    masterIn.value = c.master;
    slaveIn.value = c.slave;
    custom.hidden = c.preset !== 'custom';
    drawPreview();
  }
  function save(change) {
    const done = saveSettings(change);
    redraw();
    // The answer redraws the preview only: the inputs may hold words being
    // typed that are not saved yet.
    return done.then(() => { drawPreview(); toast('State terms saved on the appliance', 'ok'); })
      .catch((e) => toast('State terms not saved on the appliance: ' + e.message, 'error'));
  }

  for (const inp of [masterIn, slaveIn]) {
    inp.addEventListener('change', () => {
      save({ preset: 'custom', master: masterIn.value, slave: slaveIn.value });
      for (const r of root.querySelectorAll('input[name=preset]')) r.checked = r.value === 'custom';
    });
  }

  function drawPreview() {
    fill(preview, 
      h('thead', h('tr', h('th', 'portState (IEEE 1588)'), h('th', 'shown as'), h('th', 'role text (API)'), h('th', 'shown as'))),
      h('tbody', states.map((st, i) => h('tr',
        h('td.mono', st),
        h('td', h('span.chip.state', { style: { '--c': stateColour(st) }, dataset: { state: st } }, stateLabel(st))),
        h('td.muted', samples[i] ? samples[i][0] : ''),
        h('td', samples[i] ? samples[i][1]() : '')))));
  }

  const tz = h('select#set-tz', { onchange: (e) => { saveSettings({ timeZone: e.target.value }); toast('Time zone saved', 'ok'); } },
    h('option', { value: 'utc' }, 'UTC'), h('option', { value: 'local' }, 'Local time of this browser'));
  tz.value = s.timeZone;
  const theme = h('select#set-theme', { onchange: (e) => saveSettings({ theme: e.target.value }) },
    h('option', { value: 'dark' }, 'Dark'), h('option', { value: 'light' }, 'Light'));
  theme.value = s.theme;

  root.append(h('div.settings',
    h('h1', 'Settings'),
    h('fieldset',
      h('legend', 'State terminology'),
      h('p.muted', { style: { marginTop: 0 } }, 'Port states and role names use these words on every page. The API keeps the IEEE 1588 names.'),
      presetRadios, custom,
      h('h3', 'Preview'), preview),
    h('fieldset', h('legend', 'Display'),
      h('div.custom', { style: { marginLeft: 0 } }, h('label', { for: 'set-tz' }, 'Times in'), tz, h('label', { for: 'set-theme' }, 'Theme'), theme)),
    h('fieldset', h('legend', 'About'),
      h('div.prose', 'REST API description: ', h('a', { href: '/api/v1/openapi.json', target: '_blank' }, '/api/v1/openapi.json'),
        ' · Prometheus metrics: ', h('a', { href: '/metrics', target: '_blank' }, '/metrics')),
      h('div.muted', 'State terms are kept by the appliance for every user (changing them needs the admin role); time zone and theme are kept in this browser.')),
  ));
  custom.hidden = s.preset !== 'custom';
  drawPreview();
}
