// Alarms: the custom alarms' instances, active ones first, each with its
// value, since when, acknowledgement (an Acknowledge button with a note
// while it is active and not yet acknowledged) and its history; below,
// the definitions with Test, Edit and Delete, and a form that creates or
// changes one. Changing definitions needs the admin role (the server
// says so when it refuses).

import { send } from '../api.js';
import { ago, fill, h, num, time, toast } from '../util.js';

const ops = ['==', '!=', '<', '<=', '>', '>=', 'absent', 'unchanged'];
const severities = ['info', 'notice', 'warning', 'critical'];
const sevClass = { info: 'ok', notice: 'ok', warning: 'warn', critical: 'bad' };

function field(label, input) {
  return [h('label', { for: input.id }, label), input];
}

function select(id, options, value) {
  const s = h('select#' + id, options.map((v) => h('option', { value: v }, v || '(none)')));
  s.value = value;
  return s;
}

// condText words a condition.
function condText(c) {
  if (!c) return '';
  if (c.op === 'absent') return 'absent';
  if (c.op === 'unchanged') return `unchanged for ${num(c.seconds)} s`;
  return `${c.op} ${c.value}`;
}

export function mount(root, _params, _q, life) {
  const summary = h('p#alarm-summary.muted');
  const instances = h('div#alarm-instances');
  const defs = h('div#alarm-defs');
  let data = { definitions: [], instances: [] };
  const open = new Set(); // instances whose history is shown, by alarm 0x00 path
  const notes = new Map(); // acknowledgement notes being typed, by alarm 0x00 path
  let drawn = ''; // the data last drawn, as JSON: a poll that finds it unchanged keeps the page as it is

  // The form.
  const fName = h('input#al-name', { required: true, size: 18, autocomplete: 'off' });
  const fPath = h('input#al-path', { required: true, size: 48, placeholder: '/api/v1/scopes/*/grandmaster/clockClass' });
  const fOp = select('al-op', ops, '>');
  const fValue = h('input#al-value', { size: 10 });
  const fSeconds = h('input#al-seconds', { type: 'number', min: 0, step: 'any', size: 6 });
  const fHold = h('input#al-hold', { type: 'number', min: 0, step: 'any', size: 6 });
  const fHyst = h('input#al-hyst', { type: 'number', min: 0, step: 'any', size: 6 });
  const fClearOp = select('al-clear-op', [''].concat(ops), '');
  const fClearValue = h('input#al-clear-value', { size: 10 });
  const fSev = select('al-severity', severities, 'warning');
  const fText = h('input#al-text', { size: 48 });
  const formTitle = h('legend#al-form-title', 'Define an alarm');

  function edit(d) {
    fName.value = d ? d.name : '';
    fPath.value = d ? d.path : '';
    fOp.value = d ? d.condition.op : '>';
    fValue.value = d ? d.condition.value || '' : '';
    fSeconds.value = d && d.condition.seconds ? d.condition.seconds : '';
    fHold.value = d && d.holdSeconds ? d.holdSeconds : '';
    fHyst.value = d && d.hysteresis ? d.hysteresis : '';
    fClearOp.value = d && d.clear ? d.clear.op : '';
    fClearValue.value = d && d.clear ? d.clear.value || '' : '';
    fSev.value = d ? d.severity || 'warning' : 'warning';
    fText.value = d ? d.text || '' : '';
    formTitle.textContent = d ? 'Change alarm ' + d.name : 'Define an alarm';
    if (d) fPath.focus();
  }

  async function save(ev) {
    ev.preventDefault();
    const name = fName.value.trim();
    if (!name) { toast('An alarm needs a name', 'error'); return; }
    const body = { path: fPath.value.trim(), condition: { op: fOp.value }, severity: fSev.value };
    if (fValue.value !== '') body.condition.value = fValue.value;
    if (fSeconds.value !== '') body.condition.seconds = Number(fSeconds.value);
    if (fHold.value !== '') body.holdSeconds = Number(fHold.value);
    if (fHyst.value !== '') body.hysteresis = Number(fHyst.value);
    if (fClearOp.value) body.clear = { op: fClearOp.value, value: fClearValue.value };
    if (fText.value) body.text = fText.value;
    try {
      data = await life.settle(send('PUT', '/alarms/' + encodeURIComponent(name), body));
      toast('Alarm ' + name + ' saved', 'ok');
      edit(null);
      draw();
    } catch (e) {
      toast('Alarm not saved: ' + e.message, 'error');
    }
  }

  async function remove(d) {
    if (!confirm(`Delete alarm ${d.name}?` + (d.source === 'config' ? ' It comes back from the configuration file at the next start.' : ''))) return;
    try {
      await life.settle(send('DELETE', '/alarms/' + encodeURIComponent(d.name)));
      toast('Alarm ' + d.name + ' deleted', 'ok');
      load();
    } catch (e) {
      toast('Alarm not deleted: ' + e.message, 'error');
    }
  }

  async function test(d) {
    try {
      await life.settle(send('POST', '/alarms/' + encodeURIComponent(d.name) + '/test'));
      toast('Test of ' + d.name + ' raised: the notification channels that pass it deliver it', 'ok');
    } catch (e) {
      toast('No test: ' + e.message, 'error');
    }
  }

  async function ack(i, note) {
    try {
      data = await life.settle(send('POST', '/alarms/' + encodeURIComponent(i.alarm) + '/ack', { path: i.path, note }));
      toast('Acknowledged', 'ok');
      draw();
    } catch (e) {
      toast('Not acknowledged: ' + e.message, 'error');
    }
  }

  function ackCell(i, n) {
    if (i.ack) {
      return h('span.ack', `by ${i.ack.who} ${ago(i.ack.when)}`, i.ack.note ? h('span.muted', ' · ' + i.ack.note) : null);
    }
    if (!i.active) return '';
    const key = i.alarm + '\u0000' + i.path;
    const note = h('input.ack-note', { id: 'ack-note-' + n, size: 14, placeholder: 'note', value: notes.get(key) || '',
      'aria-label': `Note for acknowledging ${i.alarm} at ${i.path}`, oninput: () => notes.set(key, note.value) });
    return h('form.ack-form', { onsubmit: (ev) => { ev.preventDefault(); notes.delete(key); ack(i, note.value); } },
      note, ' ', h('button.ack-btn', { type: 'submit', title: `Acknowledge ${i.alarm} at ${i.path}` }, 'Acknowledge'));
  }

  function history(i) {
    return h('table.t.history',
      h('thead', h('tr', ['time', 'change', 'value'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', (i.history || []).slice().reverse().map((c) => h('tr',
        h('td.mono', time(c.time)),
        h('td', c.ack ? `acknowledged by ${c.ack.who}` + (c.ack.note ? ': ' + c.ack.note : '') : c.active ? 'fired' : 'cleared'),
        h('td.mono', c.value)))));
  }

  function drawInstances() {
    // Instances that have never fired are paths being watched: counted,
    // not listed.
    const shown = data.instances.filter((i) => i.active || (i.history || []).length);
    const active = shown.filter((i) => i.active);
    const unacked = active.filter((i) => !i.ack).length;
    fill(summary, `${num(active.length)} active (${num(unacked)} not acknowledged), ${num(shown.length - active.length)} cleared, ` +
      `${num(data.instances.length - shown.length)} more paths watched; ` +
      `${num(data.definitions.length)} alarm${data.definitions.length === 1 ? '' : 's'} defined.`);
    if (!shown.length) { fill(instances, h('p.muted', 'No alarm has fired yet.')); return; }
    const sev = Object.fromEntries(data.definitions.map((d) => [d.name, d.severity || 'warning']));
    fill(instances, h('table.t',
      h('thead', h('tr', ['alarm', 'path', 'state', 'since', 'value', 'acknowledged', 'history'].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', shown.map((i, n) => {
        const key = i.alarm + '\u0000' + i.path;
        const shown = open.has(key);
        const rows = [h('tr', { dataset: { alarm: i.alarm, path: i.path, active: String(i.active) } },
          h('td', i.alarm),
          h('td.mono', i.path),
          h('td', i.active ? h('span.pill.' + (sevClass[sev[i.alarm]] || 'warn'), 'active · ' + (sev[i.alarm] || '')) : h('span.pill', 'cleared')),
          h('td', { title: time(i.since) }, ago(i.since)),
          h('td.mono', i.present ? i.value : h('span.muted', 'absent')),
          h('td', ackCell(i, n)),
          h('td', h('button.hist-btn', { 'aria-expanded': String(shown), title: `History of ${i.alarm} at ${i.path}`,
            onclick: () => { if (shown) open.delete(key); else open.add(key); draw(); } }, `${(i.history || []).length} change${(i.history || []).length === 1 ? '' : 's'}`)))];
        if (shown) rows.push(h('tr.history-row', h('td', { colspan: 7 }, history(i))));
        return rows;
      }))));
  }

  function drawDefs() {
    if (!data.definitions.length) { fill(defs, h('p.muted', 'No custom alarm is defined.')); return; }
    fill(defs, h('table.t',
      h('thead', h('tr', ['name', 'path', 'fires when', 'clears when', 'hold', 'severity', 'from', ''].map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', data.definitions.map((d) => h('tr', { dataset: { name: d.name } },
        h('td', d.name),
        h('td.mono', d.path),
        h('td', condText(d.condition)),
        h('td', d.clear ? condText(d.clear) : d.hysteresis ? `back by ${num(d.hysteresis)}` : 'no longer so'),
        h('td', d.holdSeconds ? num(d.holdSeconds) + ' s' : '–'),
        h('td', d.severity || 'warning'),
        h('td', d.source === 'api' ? 'API' : 'config file'),
        h('td.actions',
          h('button.test-btn', { title: 'Raise a test Custom Alarm Triggered event for ' + d.name, onclick: () => test(d) }, 'Test'), ' ',
          h('button.edit-btn', { title: 'Change ' + d.name + ' (admin)', onclick: () => edit(d) }, 'Edit'), ' ',
          h('button.del-btn', { title: 'Delete ' + d.name + ' (admin)', onclick: () => remove(d) }, 'Delete')))))));
  }

  function draw() {
    drawn = JSON.stringify(data);
    const focused = document.activeElement && document.activeElement.id;
    drawInstances();
    drawDefs();
    if (focused && document.activeElement !== document.getElementById(focused)) document.getElementById(focused)?.focus();
  }

  async function load() {
    let d;
    try {
      d = await life.get('/alarms');
    } catch (e) {
      fill(summary, 'Alarms are not available: ' + e.message);
      return;
    }
    data = d;
    if (JSON.stringify(d) !== drawn) draw();
  }

  root.append(h('div.settings.alarms',
    h('h1', 'Alarms'),
    summary,
    h('section', h('h2', 'Instances'), h('div.scroll-x', instances)),
    h('section', h('h2', 'Definitions'), h('div.scroll-x', defs)),
    h('form#alarm-form', { onsubmit: save },
      h('fieldset', formTitle,
        h('p.muted', { style: { marginTop: 0 } }, 'An alarm watches the value at an API path (* for every key: one instance each). ' +
          'Defining, changing and deleting alarms needs the admin role; alarms made here are kept in the store.'),
        h('div.custom', { style: { marginLeft: 0 } },
          field('Name', fName), field('API path', fPath), field('Fires when the value is', fOp), field('Value', fValue),
          field('Unchanged for (s)', fSeconds), field('Hold (s)', fHold), field('Hysteresis', fHyst),
          field('Clears when', fClearOp), field('Clear value', fClearValue), field('Severity', fSev), field('Text', fText)),
        h('div', h('button#al-save', { type: 'submit' }, 'Save'), ' ',
          h('button#al-new', { type: 'button', onclick: () => edit(null) }, 'New'))))));
  load();
  life.every(3000, load);
}
