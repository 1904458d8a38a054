// Words for what the API gives as data: roles, role evidence, event types
// and port states, in the operator's state terms (settings-store.js). The
// API keeps IEEE 1588 names and evidence kinds; only this module words them.

import { settings, stateLabel } from './settings-store.js';
import { time } from './util.js';

export { stateLabel };

function lower(w) { return w ? w[0].toLowerCase() + w.slice(1) : w; }
function capital(w) { return w ? w[0].toUpperCase() + w.slice(1) : w; }

// master and slave are the chosen words, in lower case unless the user
// wrote a capital inside the word (timeTransmitter stays as written).
export function master(cap = false) { const w = settings().master; return cap ? capital(w) : (/[A-Z]/.test(w.slice(1)) ? w : lower(w)); }
export function slave(cap = false) { const w = settings().slave; return cap ? capital(w) : (/[A-Z]/.test(w.slice(1)) ? w : lower(w)); }

// plural makes an English word plural (enough for role words).
export function plural(w) {
  if (/[^aeiou]y$/i.test(w)) return w.slice(0, -1) + 'ies';
  if (/(s|x|z|ch|sh)$/i.test(w)) return w + 'es';
  return w + 's';
}

// roleText words a role as the API names it.
export function roleText(role) {
  switch (role) {
    case 'ordinary clock (leader)': return `ordinary clock (${master()})`;
    case 'ordinary clock (follower)': return `ordinary clock (${slave()})`;
    case 'ordinary clock (follower, peer-to-peer)': return `ordinary clock (${slave()}, peer-to-peer)`;
  }
  return role;
}

const evidenceWords = {
  'announce-gm': () => 'sends Announce with stepsRemoved 0 naming itself grandmaster',
  'announce-relay': () => 'sends Announce with stepsRemoved ≥ 1 (relays a grandmaster)',
  sync: () => 'sends Sync',
  'delay-req': () => 'sends Delay_Req',
  'delay-resp': () => 'answers Delay_Req with Delay_Resp',
  'named-in-delay-resp': () => "named as requester in another port's Delay_Resp",
  pdelay: () => 'takes part in peer-delay exchanges',
  'management-request': () => 'sends management GET/SET/COMMAND',
  'management-response': () => 'answers management requests',
  signaling: () => 'sends Signaling (unicast negotiation)',
  'reported-state': () => 'port state reported by PORT_DATA_SET',
};

// evidenceKindText words what an evidence kind says a port does.
export function evidenceKindText(kind) { return (evidenceWords[kind] || (() => kind))(); }

// evidenceText words one piece of evidence {kind, port, scope, since};
// short leaves out the port and scope (an instance's own evidence).
export function evidenceText(e, short = false) {
  const what = evidenceKindText(e.kind);
  const since = e.since ? ' since ' + time(e.since) : '';
  return short ? what + since : `port ${e.port} in ${e.scope} ${what}${since}`;
}

// eventTypeText words an event type (Master Silent → Leader Silent).
export function eventTypeText(t) {
  return String(t || '').replace(/^Master\b/, master(true));
}

// eventValue words an event's before or after value: port states in the
// chosen terms, other values as they are.
export function eventValue(type, v) {
  if (!v) return v;
  return type === 'Port State Changed' ? stateLabel(v) : v;
}

// countLabel words a population: Masters, Followers (the chosen terms).
export function mastersLabel() { return capital(plural(master())); }
export function slavesLabel() { return capital(plural(slave())); }
