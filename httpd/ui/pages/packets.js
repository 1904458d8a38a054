// Packets: the live list of captured frames from the RAM capture buffer,
// filtered by scope, type or instance, and the decoded detail of one
// frame: its field tree beside a hex dump, each highlighting the other.

import { live } from '../api.js';
import { terms } from '../settings-store.js';
import { h, messageTypes, num, timeText, typeChip, typeColour, VirtualList, fill } from '../util.js';

const MAX_ROWS = 20000; // rows kept in the list
const PAGE = 500; // frames asked for per request
const MAX_PAGES = 4; // requests per poll: at most 4,000 frames/s are listed, then it skips
const POLL_MS = 500;

export function mount(root, _params, q, life) {
  const filter = { scope: q.get('scope') || '', type: q.get('type') || '', instance: q.get('instance') || '', from: q.get('from') || '', to: q.get('to') || '' };
  let paused = false;
  let rows = [];
  let after = null;
  let inflight = false;
  let selected = null;
  // Following: new packets are appended and the list stays at the newest.
  // Scrolling away from the newest or selecting a row stops it; then new
  // packets wait in pending (the rows in view never move) and a marker
  // counts them until the user jumps back.
  let follow = true;
  let pending = [];
  let newCount = 0; // packets that arrived while not following (pending and skipped)
  let newSkipped = false; // some were skipped, not fetched
  let autoTop = -1; // the scrollTop the list set itself
  let restart = 0; // bumps when the filter changes, to drop stale answers
  let skippedTotal = 0;
  let behind = false; // the last poll did not reach the newest frame

  const scopeSel = h('select#f-scope', { title: 'Scope' }, h('option', { value: '' }, 'All scopes'));
  const typeSel = h('select#f-type', { title: 'Message type' }, h('option', { value: '' }, 'All types'),
    messageTypes.map((t) => h('option', { value: t }, t)));
  typeSel.value = filter.type;
  const pauseBtn = h('button#pause', { title: 'Pause or resume the live list' }, 'Pause');
  const count = h('span.count');
  const instChip = h('span');
  const pcap = h('a#pcapng', { title: 'Download the buffered frames that match the filter as pcapng' }, 'pcapng ⤓');
  const head = h('div.head', ['#', 'time', 'scope', 'type', 'bytes', 'summary'].map((x) => h('div' + (x === 'len' || x === '#' ? '.num' : ''), x)));
  const body = h('div');
  const marker = h('button#new-packets.new-marker', { hidden: true, title: 'Show the newest packets and follow them again', onclick: () => jump() });
  const grid = h('div.vgrid#packet-list', { style: { '--cols': '70px 168px minmax(110px, 1.2fr) 152px 48px minmax(200px, 4fr)' } }, head, body);
  const detail = h('div.detail#packet-detail', { hidden: true });
  root.append(
    h('div.toolbar', scopeSel, typeSel, instChip, pauseBtn, h('span.grow'), count, pcap),
    h('div.split', grid, detail),
  );

  const list = new VirtualList(body, {
    rowHeight: 22,
    render: (p) => {
      const r = h('div.row.typed', {
        dataset: { frame: p.frame, type: p.messageType || '' },
        style: { '--c': typeColour(p.messageType) },
        onclick: () => select(p.frame),
      },
      h('div.mono.num', p.frame),
      h('div.mono', timeText(p.timeText, p.time)),
      h('div', { title: p.scope || '' }, p.scope || h('span.muted', p.interfaceName)),
      h('div', p.messageType ? typeChip(p.messageType) : h('span.muted', 'not PTP')),
      h('div.num', p.length),
      h('div.mono', { title: p.summary }, terms(p.summary)));
      if (p.frame === selected) r.classList.add('selected');
      return r;
    },
  });
  grid.append(marker);
  // Pressing in the list (a row, the scroll bar) stops following at once,
  // so nothing moves between pressing and releasing.
  life.listen(body, 'pointerdown', () => stopFollowing());
  life.listen(body, 'wheel', (ev) => { if (ev.deltaY < 0) stopFollowing(); }, { passive: true });
  life.listen(body, 'scroll', () => {
    if (Math.abs(body.scrollTop - autoTop) <= 2) return; // the list's own scroll
    if (!list.atBottom()) stopFollowing();
    else if (!follow && selected === null) jump(); // the user scrolled back to the newest
  }, { passive: true });

  function stopFollowing() {
    if (!follow) return;
    follow = false;
    drawMarker();
  }

  // jump shows what arrived meanwhile and follows the newest again.
  function jump() {
    follow = true;
    rows.push(...pending);
    pending = [];
    newCount = 0;
    newSkipped = false;
    if (rows.length > MAX_ROWS) rows = rows.slice(rows.length - MAX_ROWS);
    list.setItems(rows);
    drawMarker();
    requestAnimationFrame(toBottom);
  }

  function toBottom() {
    list.scrollToBottom();
    autoTop = body.scrollTop;
  }

  function drawMarker() {
    marker.hidden = follow;
    marker.textContent = newCount
      ? `${num(newCount)}${newSkipped ? '+' : ''} new packet${newCount === 1 ? '' : 's'}, jump to newest ↓`
      : 'Jump to newest ↓';
    marker.dataset.count = String(newCount);
  }

  function setURL() {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(filter)) if (v) u.set(k, v);
    const s = u.toString();
    if (location.pathname === '/packets') history.replaceState(null, '', '/packets' + (s ? '?' + s : ''));
    pcap.href = '/api/v1/capture.pcapng' + (s ? '?' + s : '');
    // The instance filter names the port (clock-port) and scope, not the
    // appliance's internal instance number.
    const inst = filter.instance;
    const instBtn = inst
      ? h('button.chip.removable#instance-chip', { title: 'Remove the instance filter', onclick: () => { filter.instance = ''; reset(); } }, `instance ${inst} ✕`)
      : '';
    if (inst) {
      life.get('/instances/' + encodeURIComponent(inst)).then((x) => {
        instBtn.textContent = `port ${x.portIdentity} ✕`;
        instBtn.title = `Remove the filter on port ${x.portIdentity} in ${x.scope}`;
        instBtn.dataset.port = x.portIdentity;
      }).catch(() => {});
    }
    fill(instChip, instBtn,
    filter.from
      ? h('button.chip.removable#window-chip', { title: 'Show the live list again', onclick: () => { filter.from = ''; filter.to = ''; reset(); } },
        `${timeText('', Number(filter.from))} – ${timeText('', Number(filter.to))} ✕`)
      : '');
  }

  function reset() {
    restart++;
    skippedTotal = 0;
    behind = false;
    rows = [];
    pending = [];
    newCount = 0;
    newSkipped = false;
    after = null;
    follow = true;
    drawMarker();
    list.setItems(rows);
    setURL();
    count.textContent = '';
    poll();
  }

  scopeSel.addEventListener('change', () => { filter.scope = scopeSel.value; reset(); });
  typeSel.addEventListener('change', () => { filter.type = typeSel.value; reset(); });
  pauseBtn.addEventListener('click', () => {
    paused = !paused;
    pauseBtn.textContent = paused ? 'Resume' : 'Pause';
    pauseBtn.classList.toggle('primary', paused);
    if (!paused) poll();
  });

  async function poll() {
    if (!life.alive || paused || inflight) return;
    inflight = true;
    const gen = restart;
    const got = [];
    if (filter.from) {
      // A time window (from an event's link): loaded once, not live.
      if (after !== null) return;
      inflight = true;
      try {
        const u = new URLSearchParams();
        for (const [k, v] of Object.entries(filter)) if (v) u.set(k, v);
        u.set('limit', String(PAGE * MAX_PAGES));
        const r = await life.get('/packets?' + u);
        if (gen !== restart) return;
        rows = r.packets;
        after = rows.length ? rows[rows.length - 1].frame : 0;
        list.setItems(rows);
        count.textContent = num(rows.length) + ' packets in the window' + (r.next ? ' (the first ' + num(rows.length) + ')' : '');
      } catch (err) {
        count.textContent = 'error: ' + err.message;
      } finally {
        inflight = false;
      }
      return;
    }
    try {
      const q = () => {
        const u = new URLSearchParams();
        for (const [k, v] of Object.entries(filter)) if (v) u.set(k, v);
        return u;
      };
      if (after === null || behind) {
        // Start (or, on a stream faster than anyone reads, start again)
        // from the newest matching frames.
        const u = q();
        u.set('tail', String(PAGE));
        const r = await life.get('/packets?' + u);
        if (gen !== restart) return;
        if (behind && r.packets.length && after !== null) {
          const skip = Math.max(0, r.packets[0].frame - after - 1);
          skippedTotal += skip;
          if (!follow && skip) { newCount += skip; newSkipped = true; }
        }
        got.push(...r.packets.filter((p) => after === null || p.frame > after));
        if (r.packets.length) after = r.packets[r.packets.length - 1].frame;
        else if (after === null) after = (live.summary && live.summary.buffer && live.summary.buffer.lastFrame) || 0;
        behind = false;
      } else {
        for (let pages = 0; ; pages++) {
          const u = q();
          u.set('after', String(after));
          u.set('limit', String(PAGE));
          const r = await life.get('/packets?' + u);
          if (gen !== restart) return;
          if (r.packets.length) {
            got.push(...r.packets);
            after = r.packets[r.packets.length - 1].frame;
          }
          if (!r.next) break;
          if (pages + 1 === MAX_PAGES) { behind = true; break; }
        }
      }
      if (follow) {
        rows.push(...got);
        if (rows.length > MAX_ROWS) rows = rows.slice(rows.length - MAX_ROWS);
        list.setItems(rows);
        if (!paused) requestAnimationFrame(toBottom);
      } else if (got.length) {
        // The rows in view stay as they are.
        pending.push(...got);
        newCount += got.length;
        if (pending.length > MAX_ROWS) pending = pending.slice(pending.length - MAX_ROWS);
        drawMarker();
      }
      count.textContent = num(rows.length) + ' packets' + (paused ? ' (paused)' : '') +
        (skippedTotal ? ` · skipped ${filter.scope || filter.type || filter.instance ? 'ahead' : num(skippedTotal) + ' frames'}: the stream is faster than the list` : '');
    } catch (err) {
      count.textContent = 'error: ' + err.message;
    } finally {
      inflight = false;
    }
  }

  life.every(POLL_MS, poll, true);
  life.own(live.on('summary', (s) => {
    const have = new Set([...scopeSel.options].map((o) => o.value));
    for (const sc of s.scopes) {
      if (!have.has(String(sc.id))) scopeSel.append(h('option', { value: String(sc.id) }, sc.name));
    }
    scopeSel.value = filter.scope;
  }));

  async function select(frame) {
    selected = frame;
    stopFollowing(); // keep the chosen row in place while reading it
    list.refresh();
    detail.hidden = false;
    fill(detail, h('p.loading', { style: { padding: '10px' } }, 'Decoding frame ' + frame + '…'));
    try {
      const p = await life.get('/packets/' + frame);
      if (selected !== frame) return;
      showDetail(p);
    } catch (err) {
      fill(detail, h('p.sev-warning', { style: { padding: '10px' } }, err.message));
    }
  }

  function showDetail(p) {
    const bytes = hexToBytes(p.hex);
    const fields = []; // {el, off, len, ancestors}
    const treeEl = h('div.tree#field-tree', h('ul', { role: 'tree', 'aria-label': 'Decoded fields' }, p.fields.map((f) => fieldNode(f, fields, []))));
    const hexEl = hexDump(bytes);
    const byteEls = hexEl.querySelectorAll('[data-i]');
    const hexSpans = new Array(bytes.length);
    const ascSpans = new Array(bytes.length);
    for (const e of byteEls) (e.classList.contains('b') ? hexSpans : ascSpans)[Number(e.dataset.i)] = e;
    let lit = [];
    function clear() {
      for (const e of lit) e.classList.remove('hl', 'hl2');
      lit = [];
    }
    function light(off, len, cls) {
      for (let i = off; i < off + len && i < bytes.length; i++) {
        for (const e of [hexSpans[i], ascSpans[i]]) if (e) { e.classList.add(cls); lit.push(e); }
      }
    }
    // A field lights its bytes and a byte its fields, under the mouse or
    // the keyboard focus alike.
    function fromField(f) {
      clear();
      f.classList.add('hl');
      lit.push(f);
      light(Number(f.dataset.off), Number(f.dataset.len), 'hl');
    }
    function fromByte(b) {
      const i = Number(b.dataset.i);
      clear();
      // The innermost fields covering the byte: the shortest, all of them
      // when bit fields share it (messageType and majorSdoId, flags).
      let min = Infinity;
      for (const f of fields) if (i >= f.off && i < f.off + f.len) min = Math.min(min, f.len);
      const best = fields.filter((f) => i >= f.off && i < f.off + f.len && f.len === min);
      light(i, 1, 'hl2');
      for (const f of best) {
        f.el.classList.add('hl');
        lit.push(f.el);
        for (const a of f.ancestors) { a.classList.remove('closed'); a.querySelector('.f').setAttribute('aria-expanded', 'true'); }
      }
      if (best.length) {
        light(best[0].off, best[0].len, 'hl');
        best[0].el.scrollIntoView({ block: 'nearest' });
      }
    }
    const onField = (ev) => { const f = ev.target.closest('.f'); if (f) fromField(f); };
    const onByte = (ev) => { const b = ev.target.closest('.b[data-i]'); if (b) fromByte(b); };
    treeEl.addEventListener('mouseover', onField);
    treeEl.addEventListener('focusin', onField);
    treeEl.addEventListener('mouseleave', () => { if (!treeEl.contains(document.activeElement)) clear(); });
    treeEl.addEventListener('focusout', (ev) => { if (!treeEl.contains(ev.relatedTarget)) clear(); });
    hexEl.addEventListener('mouseover', (ev) => { const b = ev.target.closest('[data-i]'); if (b) fromByte(hexSpans[Number(b.dataset.i)] || b); });
    hexEl.addEventListener('focusin', onByte);
    hexEl.addEventListener('mouseleave', () => { if (!hexEl.contains(document.activeElement)) clear(); });
    hexEl.addEventListener('focusout', (ev) => { if (!hexEl.contains(ev.relatedTarget)) clear(); });
    // The keyboard: the field tree and the hex dump are one tab stop each;
    // the arrow keys move between fields (Left and Right close and open
    // one) and between bytes (Up and Down by a line of 16).
    treeEl.addEventListener('keydown', (ev) => {
      const f = ev.target.closest('.f');
      if (!f) return;
      const visible = [...treeEl.querySelectorAll('.f')].filter((e) => e.offsetParent !== null);
      const i = visible.indexOf(f);
      const li = f.parentElement;
      let to = null;
      switch (ev.key) {
        case 'ArrowDown': to = visible[i + 1]; break;
        case 'ArrowUp': to = visible[i - 1]; break;
        case 'Home': to = visible[0]; break;
        case 'End': to = visible[visible.length - 1]; break;
        case 'ArrowRight': case 'ArrowLeft': case 'Enter': case ' ':
          if (f.hasAttribute('aria-expanded')) {
            const close = ev.key === 'ArrowLeft' || ((ev.key === 'Enter' || ev.key === ' ') && !li.classList.contains('closed'));
            li.classList.toggle('closed', close);
            f.setAttribute('aria-expanded', String(!close));
            f.querySelector('.tw').textContent = close ? '▸' : '▾';
          } else if (ev.key === 'ArrowLeft') {
            to = li.parentElement.closest('li')?.querySelector('.f');
          }
          break;
        default: return;
      }
      ev.preventDefault();
      if (to) { f.tabIndex = -1; to.tabIndex = 0; to.focus(); }
    });
    hexEl.addEventListener('keydown', (ev) => {
      const b = ev.target.closest('.b[data-i]');
      if (!b) return;
      const i = Number(b.dataset.i);
      const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 16, ArrowUp: -16, Home: -i, End: bytes.length - 1 - i }[ev.key];
      if (step === undefined) return;
      ev.preventDefault();
      const to = hexSpans[Math.max(0, Math.min(bytes.length - 1, i + step))];
      if (to && to !== b) { b.tabIndex = -1; to.tabIndex = 0; to.focus(); }
    });
    fill(detail, 
      h('div.dhead',
        h('div.sum', h('div', p.messageType ? typeChip(p.messageType) : null, h('b', ' Frame ' + p.frame), h('span.muted', ` · ${p.length} bytes · ${p.linkType} · ${p.interfaceName} · ${p.timestampSource} timestamp`)),
          h('div.mono', p.timeText), h('div.mono.muted', terms(p.summary))),
        h('button', { title: 'Close', onclick: () => { selected = null; detail.hidden = true; list.refresh(); } }, '✕')),
      h('div.dbody', treeEl, hexEl),
    );
  }

  setURL();
  poll();
  life.own(() => list.destroy());
}

function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(2 * i, 2), 16);
  return out;
}

// fieldNode builds the tree item of field f and records it in all.
function fieldNode(f, all, ancestors, depth = 0) {
  const kids = f.children || [];
  const li = h('li', { role: 'none' });
  const tw = h('span.tw', kids.length ? '▾' : '');
  // Offsets in hexadecimal, as the hex dump numbers its lines; lengths
  // in bytes.
  const where = `@${hexOff(f.offset)}, ${f.length} B` + (f.mask ? `, mask 0x${f.mask.toString(16)}` : '');
  const row = h('div.f', {
    dataset: { off: f.offset, len: f.length, name: f.name },
    role: 'treeitem', 'aria-level': depth + 1, 'aria-expanded': kids.length ? 'true' : null,
    tabindex: all.length === 0 ? 0 : -1,
    title: `${f.name}: bytes ${hexOff(f.offset)}–${hexOff(f.offset + Math.max(1, f.length) - 1)} (${f.offset}–${f.offset + Math.max(1, f.length) - 1} decimal)`,
  },
    tw, h('span.n', f.name),
    f.value !== undefined ? h('span.v', terms(f.value)) : null,
    f.text ? h('span.x', terms(f.text)) : null,
    h('span.o', where));
  tw.setAttribute('aria-hidden', 'true');
  li.append(row);
  all.push({ el: row, off: f.offset, len: f.length, depth, ancestors });
  if (kids.length) {
    tw.addEventListener('click', () => {
      li.classList.toggle('closed');
      tw.textContent = li.classList.contains('closed') ? '▸' : '▾';
      row.setAttribute('aria-expanded', String(!li.classList.contains('closed')));
    });
    li.append(h('ul', { role: 'group' }, kids.map((c) => fieldNode(c, all, [...ancestors, li], depth + 1))));
  }
  return li;
}

// hexOff writes a byte offset as the hex dump numbers its lines.
function hexOff(n) { return n.toString(16).padStart(4, '0'); }

// hexDump shows bytes 16 to a line with an ASCII column.
function hexDump(bytes) {
  const el = h('div.hex#hex-dump', { 'aria-label': 'Frame bytes; offsets in hexadecimal' });
  for (let off = 0; off < bytes.length; off += 16) {
    const line = h('div', h('span.off', hexOff(off)));
    const asc = h('span.a');
    for (let i = off; i < off + 16; i++) {
      if (i < bytes.length) {
        const b = bytes[i];
        line.append(h('span.b' + (i % 16 === 7 ? '.sp' : ''), { dataset: { i }, tabindex: i === 0 ? 0 : -1, title: `byte ${hexOff(i)}` }, b.toString(16).padStart(2, '0')));
        asc.append(h('span', { dataset: { i } }, b >= 32 && b < 127 ? String.fromCharCode(b) : '.'));
      } else {
        line.append(h('span.b' + (i % 16 === 7 ? '.sp' : ''), '  '));
      }
      if (i % 16 !== 15) line.append(' ');
    }
    line.append(asc);
    el.append(line);
  }
  if (!bytes.length) el.append('(no bytes)');
  return el;
}

