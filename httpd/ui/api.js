// The REST API and the live event stream.

export class APIError extends Error {
  constructor(status, msg) { super(msg); this.status = status; }
}

async function check(r) {
  if (r.ok) return r;
  let msg = r.statusText;
  try { msg = (await r.json()).error || msg; } catch { /* not JSON */ }
  throw new APIError(r.status, msg);
}

// get fetches JSON from an API path (relative to /api/v1).
export async function get(path, opts = {}) {
  const r = await check(await fetch('/api/v1' + path, { headers: { Accept: 'application/json' }, signal: opts.signal }));
  return r.json();
}

// getTagged fetches JSON and the response's ETag; when the ETag equals
// prevTag it skips parsing and returns {same: true}.
export async function getTagged(path, prevTag, opts = {}) {
  const r = await check(await fetch('/api/v1' + path, { headers: { Accept: 'application/json' }, signal: opts.signal }));
  const tag = r.headers.get('ETag');
  if (tag && tag === prevTag) return { same: true, tag };
  return { same: false, tag, data: await r.json() };
}

// send makes a write. Every write carries the X-PTPWatch header, which no
// HTML form can send: the server refuses writes without it (or a JSON
// body), so another site cannot make the browser write.
export async function send(method, path, body, contentType = 'application/json') {
  const init = { method, headers: { 'X-PTPWatch': '1' } };
  if (body !== undefined) {
    init.body = contentType === 'application/json' ? JSON.stringify(body) : body;
    init.headers['Content-Type'] = contentType;
  }
  const r = await check(await fetch('/api/v1' + path, init));
  if (r.status === 204) return null;
  const text = await r.text(); // 202 may come without a body
  return text ? JSON.parse(text) : null;
}

// Live is the one EventSource of the page. Pages subscribe to 'summary'
// (the periodic status) and 'model' (each model event).
class Live {
  constructor() {
    this.handlers = { summary: new Set(), model: new Set(), status: new Set() };
    this.summary = null;
    this.state = 'connecting';
  }

  start() {
    if (this.es) return;
    const es = new EventSource('/api/v1/events/stream');
    this.es = es;
    es.addEventListener('open', () => this.setState('live'));
    es.addEventListener('error', () => this.setState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
    es.addEventListener('summary', (ev) => {
      this.summary = JSON.parse(ev.data);
      this.emit('summary', this.summary);
    });
    es.addEventListener('model', (ev) => this.emit('model', JSON.parse(ev.data)));
  }

  setState(s) {
    if (s === this.state) return;
    this.state = s;
    this.emit('status', s);
  }

  emit(kind, v) { for (const f of this.handlers[kind]) f(v); }

  // on subscribes f and returns the function that unsubscribes it.
  on(kind, f) {
    this.handlers[kind].add(f);
    if (kind === 'summary' && this.summary) f(this.summary);
    return () => this.handlers[kind].delete(f);
  }
}

export const live = new Live();
