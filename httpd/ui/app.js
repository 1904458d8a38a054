// The single-page application: routing between pages, the status bar and
// the live connection.

import { get, live } from './api.js';
import { applyTheme, loadServerTerms, onSettings } from './settings-store.js';
import { bytes, Life, num } from './util.js';

const pages = {
  overview: () => import('./pages/overview.js'),
  packets: () => import('./pages/packets.js'),
  devices: () => import('./pages/devices.js'),
  device: () => import('./pages/device.js'),
  hierarchy: () => import('./pages/hierarchy.js'),
  events: () => import('./pages/events.js'),
  scope: () => import('./pages/scope.js'),
  incidents: () => import('./pages/incidents.js'),
  notfound: () => import('./pages/notfound.js'),
  settings: () => import('./pages/settings.js'),
  management: () => import('./pages/management.js'),
  alarms: () => import('./pages/alarms.js'),
  notifications: () => import('./pages/notifications.js'),
  sites: () => import('./pages/sites.js'),
};

const titles = {
  overview: 'Overview', packets: 'Packets', devices: 'Devices', device: 'Device',
  hierarchy: 'Hierarchy', events: 'Events', settings: 'Settings', management: 'Management', alarms: 'Alarms', notifications: 'Notifications', scope: 'Scope', incidents: 'Incidents', sites: 'Sites', notfound: 'Not found',
};

let unmount = null;
let life = null; // the mounted page's lifetime
let generation = 0;
// forwardOnly is set on a forwarding-only probe (forward.evaluate =
// false): it keeps no model, so the Sites page is its only page.
let forwardOnly = false;

// route maps a location to a page and its parameters.
function route(loc) {
  const parts = loc.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const q = new URLSearchParams(loc.search);
  if (forwardOnly) return { page: 'sites', params: {}, q };
  if (parts.length === 0) return { page: 'overview', params: {}, q };
  if (parts[0] === 'devices' && parts.length === 2) return { page: 'device', params: { id: parts[1] }, q };
  if (parts[0] === 'scopes' && parts.length === 2) return { page: 'scope', params: { id: parts[1] }, q };
  const plain = ['overview', 'packets', 'devices', 'hierarchy', 'events', 'incidents', 'management', 'alarms', 'notifications', 'sites', 'settings'];
  if (parts.length === 1 && plain.includes(parts[0])) return { page: parts[0], params: {}, q };
  return { page: 'notfound', params: { path: loc.pathname }, q };
}

async function show() {
  const gen = ++generation;
  const { page, params, q } = route(location);
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('#nav a')) {
    const p = a.dataset.page;
    const on = p === page || (p === 'devices' && page === 'device') || (p === 'overview' && page === 'scope');
    a.classList.toggle('active', on);
    if (on) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = titles[page] + ' · ptpwatch';
  let mod;
  try {
    mod = await pages[page]();
  } catch (err) {
    main.replaceChildren(document.createTextNode('Cannot load the page: ' + err));
    return;
  }
  if (gen !== generation) return; // another navigation overtook this one
  if (life) life.end();
  if (unmount) { try { unmount(); } catch (err) { console.warn(err); } }
  unmount = null;
  main.replaceChildren();
  main.dataset.page = page;
  life = new Life();
  unmount = mod.mount(main, params, q, life) || null;
}

// navigate moves to a path inside the application.
export function navigate(path, replace = false) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  show();
}

document.addEventListener('click', (ev) => {
  const a = ev.target.closest('a[data-link], a[href^="/"]');
  if (!a || ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey || a.target) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/') || url.pathname === '/metrics') return;
  ev.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
});
window.addEventListener('popstate', show);

// The status bar follows the summary.
let lastFrames = null;
function status(s) {
  const cap = s.capture && s.capture.sources && s.capture.sources[0];
  const el = document.getElementById('st-capture');
  const running = cap ? cap.running : true;
  el.textContent = (cap ? cap.kind + ' ' : '') + (running ? 'capturing' : 'stopped');
  el.className = 'pill ' + (running ? 'ok' : 'warn');
  el.title = cap ? cap.name : '';
  const rx = s.counters ? s.counters.received : s.frames;
  // A summary sent on connecting can arrive just before a periodic one;
  // frames arrive in batches, so a rate over so short a time reads 0.
  // Such a pair keeps the older sample as the reference.
  const dt = lastFrames ? (s.server - lastFrames.server) / 1e9 : 0;
  if (!lastFrames || dt >= 0.5) {
    // (Counters restart with the appliance: then only the reference moves.)
    if (lastFrames && rx >= lastFrames.rx) document.getElementById('st-rate').textContent = num(Math.round((rx - lastFrames.rx) / dt)) + ' fr/s';
    lastFrames = { rx, server: s.server };
  }
  const b = s.buffer;
  const bufEl = document.getElementById('st-buffer');
  if (b) {
    const pct = b.limit ? (100 * b.bytes) / b.limit : 0;
    bufEl.querySelector('.bar span').style.width = pct.toFixed(1) + '%';
    bufEl.querySelector('.txt').textContent = 'buffer ' + pct.toFixed(0) + '%';
    bufEl.title = `RAM capture buffer: ${bytes(b.bytes)} of ${bytes(b.limit)}, ${num(b.frames)} frames, ${num(b.evicted)} evicted`;
  } else {
    bufEl.querySelector('.txt').textContent = 'no buffer';
  }
}

function liveState(st) {
  const el = document.getElementById('st-live');
  el.className = 'dot ' + st;
  el.title = 'Live updates: ' + st;
}

applyTheme();
onSettings(applyTheme);
loadServerTerms();
// Settings changed in another tab: take them and redraw.
window.addEventListener('storage', (ev) => { if (ev.key === 'ptpwatch.settings') location.reload(); });
live.on('summary', status);
live.on('status', liveState);
live.start();

// forwardingOnly asks /sites whether this appliance is a forwarding-only
// probe, and if so hides every page but Sites.
async function forwardingOnly() {
  try {
    const sites = await get('/sites');
    forwardOnly = Object.values(sites).some((s) => s.role === 'probe' && s.evaluate === false);
  } catch { /* an older server or a failure: the full UI */ }
  if (!forwardOnly) return;
  document.body.dataset.mode = 'forward-only';
  for (const a of document.querySelectorAll('#nav a')) a.hidden = a.dataset.page !== 'sites';
  if (location.pathname !== '/sites') history.replaceState(null, '', '/sites');
}
forwardingOnly().then(show);
