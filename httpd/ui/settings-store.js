// User settings: the words used for port states and roles are the
// appliance's (GET/PUT /api/v1/settings, shared by every user and kept
// across restarts), cached in localStorage; the time zone and the colour
// theme belong to this browser.

import { get, send } from './api.js';

const KEY = 'ptpwatch.settings';

// Presets of state terminology. master and slave name the two roles; the
// state labels are made from them (MASTER, SLAVE, PRE_MASTER).
export const presets = {
  'master-slave': { label: 'Master / Slave (IEEE 1588-2008)', master: 'Master', slave: 'Slave' },
  'leader-follower': { label: 'Leader / Follower', master: 'Leader', slave: 'Follower' },
  'transmitter-receiver': { label: 'timeTransmitter / timeReceiver (IEEE 1588g-2022)', master: 'timeTransmitter', slave: 'timeReceiver' },
  custom: { label: 'Custom words', master: '', slave: '' },
};

const defaults = { preset: 'master-slave', master: 'Master', slave: 'Slave', timeZone: 'utc', theme: 'dark' };

let current = load();
let puts = 0; // PUT /settings requests made, to ignore stale answers
// PUTs go one at a time: two in flight on two connections can reach the
// appliance in either order, and an earlier change applied last would
// undo the user's latest (seen as the old slave word coming back after
// both words were changed in quick succession).
let putChain = Promise.resolve();
const listeners = new Set();

function load() {
  try {
    const s = JSON.parse(localStorage.getItem(KEY) || '{}');
    return { ...defaults, ...s };
  } catch {
    return { ...defaults };
  }
}

export function settings() { return current; }

function store() {
  localStorage.setItem(KEY, JSON.stringify(current));
  for (const f of listeners) f(current);
}

// loadServerTerms takes the appliance's state terms; pages redraw when
// they differ from the cached ones.
export async function loadServerTerms() {
  try {
    const s = await get('/settings');
    if (!presets[s.stateTerms]) return;
    if (s.stateTerms === current.preset && s.masterTerm === current.master && s.slaveTerm === current.slave) return;
    current = { ...current, preset: s.stateTerms, master: s.masterTerm, slave: s.slaveTerm };
    store();
  } catch { /* keep the cached words */ }
}

// saveSettings merges s into the settings, stores them and tells every
// listener (pages re-render their labels).
export function saveSettings(s) {
  current = { ...current, ...s };
  if (current.preset !== 'custom' && presets[current.preset]) {
    current.master = presets[current.preset].master;
    current.slave = presets[current.preset].slave;
  }
  current.master = (current.master || '').trim() || 'Master';
  current.slave = (current.slave || '').trim() || 'Slave';
  store();
  if ('preset' in s || 'master' in s || 'slave' in s) {
    // The appliance keeps the words for everyone; it answers what it
    // stored (an admin is needed to change them).
    const n = ++puts;
    const put = putChain.then(() => send('PUT', '/settings', { stateTerms: current.preset, masterTerm: current.master, slaveTerm: current.slave }));
    putChain = put.catch(() => {});
    return put
      .then((r) => {
        // Only the answer to the latest change may overwrite the words:
        // answers to earlier ones can arrive after it.
        if (n === puts) { current = { ...current, preset: r.stateTerms, master: r.masterTerm, slave: r.slaveTerm }; store(); }
        return r;
      });
  }
  return Promise.resolve(null);
}

export function onSettings(f) { listeners.add(f); return () => listeners.delete(f); }

// upper turns a word into a state label: timeTransmitter → TIME_TRANSMITTER.
function upper(w) {
  return w.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/[\s-]+/g, '_').toUpperCase();
}

// stateLabel names a port state (as the API spells it) in the chosen words.
export function stateLabel(st) {
  if (!st) return '–';
  const m = upper(current.master), s = upper(current.slave);
  switch (st) {
    case 'MASTER': return m;
    case 'SLAVE': return s;
    case 'PRE_MASTER': return 'PRE_' + m;
  }
  return st;
}

// terms puts the chosen state names into decoder text (packet summaries
// and field values), which spells port states as IEEE 1588 does (MASTER,
// SLAVE, PRE_MASTER). Roles, evidence and events are data the API gives;
// words.js words them.
export function terms(text) {
  if (!text) return text;
  return String(text).replace(/\b(PRE_MASTER|MASTER|SLAVE)\b/g, (w) => stateLabel(w));
}

// applyTheme sets the colour theme on the document.
export function applyTheme() {
  document.documentElement.dataset.theme = current.theme === 'light' ? 'light' : 'dark';
}
