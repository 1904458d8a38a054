// Device names chosen by operators (metadata alias), shared by the pages
// and refreshed at most every 15 seconds.

import { get } from './api.js';

let cache = null;
let at = 0;

// aliases resolves to a Map from clockIdentity to alias.
export function aliases(force = false) {
  if (cache && !force && Date.now() - at < 15000) return cache;
  at = Date.now();
  cache = Promise.all([get('/devices/*/clockIdentity'), get('/devices/*/metadata/alias')]).then(([ids, names]) => {
    const m = new Map();
    ids.forEach((id, i) => { if (names[i]) m.set(id, names[i]); });
    return m;
  }).catch((err) => { cache = null; throw err; });
  return cache;
}

// forget drops the cache after a change.
export function forget() { cache = null; }

// portAlias names a port identity (clock-port) by its device's alias.
export function portName(m, portIdentity) {
  const i = portIdentity.lastIndexOf('-');
  const a = m.get(i > 0 ? portIdentity.slice(0, i) : portIdentity);
  return a ? a + (i > 0 ? ' port ' + portIdentity.slice(i + 1) : '') : '';
}
