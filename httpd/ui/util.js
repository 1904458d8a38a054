// Small helpers shared by the pages: element building, formatting, the
// message type colours, a virtualised list and the page lifecycle.

import { get, getTagged } from './api.js';
import { settings } from './settings-store.js';

// h builds an element: h('div.cls#id', {attr: v, onclick: f}, child, ...).
// Children may be strings, nodes, arrays, null or undefined.
export function h(spec, attrs, ...children) {
  const m = /^([a-z0-9]+)?((?:[.#][\w-]+)*)$/i.exec(spec);
  const tag = (m && m[1]) || 'div';
  const e = tag === 'svg' || attrs?.ns === 'svg'
    ? document.createElementNS('http://www.w3.org/2000/svg', tag)
    : document.createElement(tag);
  if (m && m[2]) {
    for (const part of m[2].match(/[.#][\w-]+/g)) {
      if (part[0] === '.') e.classList.add(part.slice(1));
      else e.id = part.slice(1);
    }
  }
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'ns' || v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'style' && typeof v === 'object') {
      for (const [p, x] of Object.entries(v)) {
        if (p.startsWith('--')) e.style.setProperty(p, x);
        else e.style[p] = x;
      }
    }
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'value' && 'value' in e) e.value = v;
    else e.setAttribute(k, v === true ? '' : v);
  }
  append(e, children);
  return e;
}

// fill replaces el's children with children (flattened; null and
// undefined skipped), as h does.
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

function append(e, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(e, c);
    else e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// svg builds an SVG element.
export function svg(tag, attrs, ...children) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  append(e, children);
  return e;
}

// PTP message types in wire order. Their colours, and the port states'
// colours, are the theme's CSS variables (style.css: --type-sync, ...,
// --state-master, ...), so each theme keeps them readable on its panels.
export const messageTypes = [
  'Sync', 'Delay_Req', 'Pdelay_Req', 'Pdelay_Resp', 'Follow_Up', 'Delay_Resp',
  'Pdelay_Resp_Follow_Up', 'Announce', 'Signaling', 'Management',
];

const slug = (s) => String(s).toLowerCase().replace(/_/g, '-');
const knownTypes = new Set(messageTypes);

// typeColour is the CSS colour of a message type: the same colour means
// the same type on every page.
export function typeColour(t) { return knownTypes.has(t) ? `var(--type-${slug(t)})` : 'var(--type-other)'; }

// typeChip is a coloured label for a message type.
export function typeChip(t, extra) {
  return h('span.chip.type', { style: { '--c': typeColour(t) }, title: t }, t || 'not PTP', extra ?? null);
}

const knownStates = new Set(['MASTER', 'SLAVE', 'PRE_MASTER', 'UNCALIBRATED', 'PASSIVE', 'LISTENING', 'INITIALIZING', 'FAULTY', 'DISABLED', 'UNKNOWN']);

// stateColour is the CSS colour of a port state.
export function stateColour(s) { return knownStates.has(s) ? `var(--state-${slug(s)})` : 'var(--state-unknown)'; }

// Numbers and times.
const nf = new Intl.NumberFormat('en-US');
export function num(n) { return n === undefined || n === null ? '–' : nf.format(n); }

export function bytes(n) {
  if (n === undefined || n === null) return '–';
  const u = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(n < 10 ? 2 : 1) : n) + ' ' + u[i];
}

function pad(n, w = 2) { return String(n).padStart(w, '0'); }

// time formats ns since 1970 (a Number: ms precision is what remains) as
// date and time in the chosen zone.
export function time(ns, withDate = true) {
  if (!ns) return '–';
  const d = new Date(ns / 1e6);
  const utc = settings().timeZone !== 'local';
  const Y = utc ? d.getUTCFullYear() : d.getFullYear();
  const M = utc ? d.getUTCMonth() + 1 : d.getMonth() + 1;
  const D = utc ? d.getUTCDate() : d.getDate();
  const hh = utc ? d.getUTCHours() : d.getHours();
  const mm = utc ? d.getUTCMinutes() : d.getMinutes();
  const ss = utc ? d.getUTCSeconds() : d.getSeconds();
  const ms = d.getUTCMilliseconds();
  const t = `${pad(hh)}:${pad(mm)}:${pad(ss)}.${pad(ms, 3)}`;
  return (withDate ? `${Y}-${pad(M)}-${pad(D)} ` : '') + t + (utc ? 'Z' : '');
}

// timeText shows the time of day of an RFC 3339 text with all its
// fractional digits (packet timestamps keep nanoseconds this way). In the
// local zone it falls back to time().
export function timeText(text, ns) {
  if (settings().timeZone === 'local' || !text) return time(ns, false);
  const m = /T(\d\d:\d\d:\d\d)(\.\d+)?Z$/.exec(text);
  if (!m) return text;
  return m[1] + (m[2] || '.').padEnd(10, '0') + 'Z';
}

// ago says how long before now (ms) an ns time was.
export function ago(ns, nowMs = Date.now()) {
  if (!ns) return '–';
  const s = Math.max(0, (nowMs - ns / 1e6) / 1000);
  if (s < 1) return 'now';
  if (s < 60) return Math.round(s) + ' s ago';
  if (s < 3600) return Math.round(s / 60) + ' min ago';
  if (s < 86400) return Math.round(s / 3600) + ' h ago';
  return Math.round(s / 86400) + ' d ago';
}

export function ns(v) {
  if (v === undefined || v === null) return '–';
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(3) + ' s';
  if (a >= 1e6) return (v / 1e6).toFixed(3) + ' ms';
  if (a >= 1e3) return (v / 1e3).toFixed(3) + ' µs';
  return Math.round(v) + ' ns';
}

// debounce returns f delayed until calls stop for ms.
export function debounce(f, ms) {
  let t;
  return (...a) => { clearTimeout(t); t = setTimeout(() => f(...a), ms); };
}

// VirtualList shows rows of a large array, creating elements only for the
// rows in view. Rows have a fixed height; render(item, index) returns one
// row element.
//
// The rows are reachable by keyboard: one of them (the active row) is in
// the tab order, the arrow keys, Page Up/Down, Home and End move the focus
// between rows (scrolling as needed), and Enter or Space clicks the focused
// row. key(item, index) names a row across redraws (default: its index) so
// that the focus stays on the same item when the list changes under it;
// onKey(event, item, index), when given, sees each key first and returns
// true for the keys it handled.
export class VirtualList {
  constructor(container, { rowHeight = 22, render, onScrollEnd, key, onKey } = {}) {
    this.container = container;
    this.rowHeight = rowHeight;
    this.render = render;
    this.onScrollEnd = onScrollEnd;
    this.key = key || ((_item, i) => i);
    this.onKey = onKey;
    this.activeKey = undefined;
    this.items = [];
    this.spacer = h('div.vl-spacer');
    this.rows = h('div.vl-rows');
    container.classList.add('vl');
    container.append(this.spacer, this.rows);
    this.first = -1;
    this.last = -1;
    this.pending = false;
    container.addEventListener('scroll', () => this.schedule(false), { passive: true });
    container.addEventListener('keydown', (ev) => this.keydown(ev));
    container.addEventListener('focusin', (ev) => {
      const r = ev.target.closest?.('[data-vi]');
      if (r && this.rows.contains(r)) {
        const i = Number(r.dataset.vi);
        this.activeKey = this.key(this.items[i], i);
        this.mark(r);
      }
    });
    this.resizeObs = new ResizeObserver(() => this.schedule(true));
    this.resizeObs.observe(container);
  }

  // setItems replaces the rows; keep keeps the scroll position.
  setItems(items) {
    this.items = items;
    this.spacer.style.height = items.length * this.rowHeight + 'px';
    this.schedule(true);
  }

  atBottom() {
    const c = this.container;
    return c.scrollHeight - c.scrollTop - c.clientHeight < this.rowHeight * 2;
  }

  scrollToBottom() { this.container.scrollTop = this.container.scrollHeight; }

  // refresh redraws the visible rows (their data changed).
  refresh() { this.schedule(true); }

  schedule(force) {
    if (force) this.force = true;
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => { this.pending = false; this.draw(); });
  }

  // activeIndex is the index of the active row, or -1.
  activeIndex() {
    if (this.activeKey === undefined) return -1;
    for (let i = Math.max(0, this.first); i < this.last && i < this.items.length; i++) {
      if (this.key(this.items[i], i) === this.activeKey) return i;
    }
    for (let i = 0; i < this.items.length; i++) if (this.key(this.items[i], i) === this.activeKey) return i;
    return -1;
  }

  draw() {
    const c = this.container;
    const n = this.items.length;
    const first = Math.max(0, Math.floor(c.scrollTop / this.rowHeight) - 10);
    const last = Math.min(n, Math.ceil((c.scrollTop + c.clientHeight) / this.rowHeight) + 10);
    if (!this.force && first === this.first && last === this.last) return;
    this.force = false;
    this.first = first;
    this.last = last;
    const focused = this.rows.contains(document.activeElement) || document.activeElement === c;
    const frag = document.createDocumentFragment();
    let tab = null;
    let firstInView = null;
    const top = Math.ceil(c.scrollTop / this.rowHeight);
    for (let i = first; i < last; i++) {
      const row = this.render(this.items[i], i);
      row.style.transform = `translateY(${i * this.rowHeight}px)`;
      row.style.height = this.rowHeight + 'px';
      row.dataset.vi = i;
      row.tabIndex = -1;
      if (this.activeKey !== undefined && this.key(this.items[i], i) === this.activeKey) tab = row;
      if (i >= top && !firstInView) firstInView = row;
      frag.append(row);
    }
    this.rows.replaceChildren(frag);
    // One row is in the tab order: the active one, or else the first in view.
    const stop = tab || firstInView;
    if (stop) stop.tabIndex = 0;
    // The container takes the focus while the active row is out of view.
    c.tabIndex = stop ? -1 : 0;
    if (focused) (tab || c).focus({ preventScroll: true });
  }

  mark(row) {
    for (const r of this.rows.querySelectorAll('[data-vi][tabindex="0"]')) if (r !== row) r.tabIndex = -1;
    row.tabIndex = 0;
  }

  // focusIndex moves the focus to row i, scrolling it into view.
  focusIndex(i) {
    const n = this.items.length;
    if (!n) return;
    i = Math.max(0, Math.min(n - 1, i));
    this.activeKey = this.key(this.items[i], i);
    const c = this.container;
    const rh = this.rowHeight;
    if (i * rh < c.scrollTop) c.scrollTop = i * rh;
    else if ((i + 1) * rh > c.scrollTop + c.clientHeight) c.scrollTop = (i + 1) * rh - c.clientHeight;
    this.force = true;
    this.draw();
    const row = this.rows.querySelector(`[data-vi="${i}"]`);
    if (row) { this.mark(row); row.focus({ preventScroll: true }); }
  }

  keydown(ev) {
    if (ev.altKey || ev.ctrlKey || ev.metaKey) return;
    const row = ev.target.closest?.('[data-vi]');
    const onRow = row && ev.target === row;
    if (!onRow && ev.target !== this.container) return; // a control inside a row
    let i = onRow ? Number(row.dataset.vi) : this.activeIndex();
    if (this.onKey && onRow && this.onKey(ev, this.items[i], i)) { ev.preventDefault(); return; }
    const page = Math.max(1, Math.floor(this.container.clientHeight / this.rowHeight) - 1);
    if (i < 0) i = Math.ceil(this.container.scrollTop / this.rowHeight) - 1;
    switch (ev.key) {
      case 'ArrowDown': this.focusIndex(i + 1); break;
      case 'ArrowUp': this.focusIndex(i - 1); break;
      case 'PageDown': this.focusIndex(i + page); break;
      case 'PageUp': this.focusIndex(i - page); break;
      case 'Home': this.focusIndex(0); break;
      case 'End': this.focusIndex(this.items.length - 1); break;
      case 'Enter': case ' ':
        if (!onRow) return;
        row.click();
        break;
      default: return;
    }
    ev.preventDefault();
  }

  destroy() { this.resizeObs.disconnect(); }
}

// toast shows a short message at the bottom of the window.
export function toast(msg, kind = 'info') {
  let box = document.getElementById('toasts');
  if (!box) { box = h('div#toasts'); document.body.append(box); }
  const t = h('div.toast.' + kind, msg);
  box.append(t);
  setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
}

// copyText puts s on the clipboard (where the page may) and says so.
export function copyButton(s) {
  return h('button.copy', {
    title: 'Copy ' + s, onclick: (ev) => {
      ev.stopPropagation();
      navigator.clipboard?.writeText(s).then(() => toast('Copied ' + s), () => toast('The browser does not allow copying here', 'error'));
    },
  }, svg('svg', { width: 12, height: 12, viewBox: '0 0 12 12', 'aria-hidden': 'true' },
    svg('rect', { x: 3.5, y: 0.5, width: 8, height: 8, rx: 1, fill: 'none', stroke: 'currentColor' }),
    svg('path', { d: 'M2 3.5H1.5a1 1 0 0 0-1 1v6a1 1 0 0 0 1 1h6a1 1 0 0 0 1-1V10', fill: 'none', stroke: 'currentColor' })));
}

// Life is one page's lifetime: app.js gives each mounted page one and ends
// it when the page goes. Timers, listeners, subscriptions and requests made
// through it stop with it, so pages need no "alive" flags: a request
// answered after the end never resolves.
export class Life {
  constructor() {
    this.ctl = new AbortController();
    this.cleanups = [];
  }

  get signal() { return this.ctl.signal; }
  get alive() { return !this.ctl.signal.aborted; }

  // get is api.get bound to the page: aborted when the page goes, and
  // never settling once it has.
  get(path) { return this.settle(get(path, { signal: this.signal })); }

  // getTagged is api.getTagged bound to the page.
  getTagged(path, prev) { return this.settle(getTagged(path, prev, { signal: this.signal })); }

  // settle makes p never settle once the page has gone.
  settle(p) {
    const never = new Promise(() => {});
    return p.then((v) => (this.alive ? v : never), (err) => { if (!this.alive) return never; throw err; });
  }

  // every calls f every ms while the page lives, skipping while the
  // browser tab is hidden unless always is set.
  every(ms, f, always = false) {
    const t = setInterval(() => { if (always || !document.hidden) f(); }, ms);
    this.own(() => clearInterval(t));
  }

  // after calls f once after ms, unless the page has gone.
  after(ms, f) {
    const t = setTimeout(f, ms);
    this.own(() => clearTimeout(t));
  }

  // listen adds an event listener removed when the page goes.
  listen(target, type, f, opts = {}) { target.addEventListener(type, f, { ...opts, signal: this.signal }); }

  // own runs f (an unsubscribe, a destroy) when the page goes.
  own(f) { this.cleanups.push(f); return f; }

  end() {
    if (!this.alive) return;
    this.ctl.abort();
    for (const f of this.cleanups.splice(0)) { try { f(); } catch (err) { console.warn(err); } }
  }
}

// srcBadge says where a value came from (state.Provenance): measured by
// ptpwatch from captured timestamps, reported by the node through
// management, inferred from the traffic, or from the node's own messages.
// extra goes into the tooltip (an age, say). Nothing for no source.
const srcTexts = {
  measured: 'measured by ptpwatch from captured timestamps',
  management: 'reported by the node when ptpwatch asked (management)',
  inferred: 'inferred from the traffic',
  reported: "from the node's own messages",
};
export function srcBadge(source, extra) {
  if (!source) return null;
  return h('span.chip.src', { dataset: { src: source }, title: (srcTexts[source] || source) + (extra ? ', ' + extra : '') }, source);
}
