// One device: its metadata (editable), image, inferred roles with their
// evidence, and its instances.

import { APIError, get, send } from '../api.js';
import { forget } from '../names.js';
import { evidenceText, roleText, stateLabel } from '../words.js';
import { ago, copyButton, h, messageTypes, ns, num, srcBadge, stateColour, time, toast, typeChip, fill } from '../util.js';

const fields = [
  ['alias', 'Alias'], ['location', 'Location'], ['vendor', 'Vendor'], ['model', 'Model'],
  ['hardwareRevision', 'Hardware revision'], ['firmwareRevision', 'Firmware revision'], ['softwareRevision', 'Software revision'],
];

export function mount(root, params, _q, life) {
  const id = params.id;
  const base = '/devices/' + encodeURIComponent(id);
  let imgURL = null;

  const head = h('div.dev-head');
  const form = h('form.meta#meta-form');
  const roles = h('div#roles');
  const insts = h('div#instances');
  root.append(
    h('div.muted', { style: { marginBottom: '8px' } }, h('a', { href: '/devices', 'data-link': true }, '← Devices')),
    head,
    h('div.grid.cols-2',
      h('section.panel', h('h2', 'Metadata'), form),
      h('section.panel', h('h2', 'Roles and evidence'), roles)),
    h('section.panel', { style: { marginTop: '12px' } }, h('h2', 'Instances'), insts),
  );

  let dev = null;
  let meta = {};

  function drawHead() {
    const m = meta || {};
    const img = h('img.dev-img#dev-img', { alt: 'Image of the device', hidden: !m.image });
    if (m.image) loadImage(img);
    fill(head, 
      h('div.title',
        m.alias ? h('div.alias', m.alias) : null,
        h('div', h('span.id', id), copyButton(id)),
        h('div.muted', [m.vendor || (dev && dev.vendor) || 'vendor unknown', m.model, m.location].filter(Boolean).join(' · ')),
        dev ? h('div.muted', `${dev.ports.length} port${dev.ports.length === 1 ? '' : 's'} · ${dev.instances.length} instance${dev.instances.length === 1 ? '' : 's'}`)
          : h('div.sev-warning', 'Not seen in the current model; only its metadata is stored.')),
      img);
  }

  async function loadImage(img) {
    try {
      const r = await fetch('/api/v1' + base + '/image', { signal: life.signal });
      if (!r.ok) return;
      if (imgURL) URL.revokeObjectURL(imgURL);
      imgURL = URL.createObjectURL(await r.blob());
      img.src = imgURL;
      img.hidden = false;
    } catch { /* no image */ }
  }

  function drawForm() {
    const inputs = {};
    const file = h('input#dev-image-file', { type: 'file', accept: 'image/png,image/jpeg' });
    fill(form, 
      fields.map(([k, label]) => [
        h('label', { for: 'meta-' + k }, label),
        inputs[k] = h('input', { id: 'meta-' + k, name: k, value: (meta && meta[k]) || '', maxlength: 256, autocomplete: 'off' }),
      ]),
      // The vendor detected from the MAC or clock identity is offered.
      dev && dev.vendor ? h('datalist#meta-vendor-detected', h('option', { value: dev.vendor }, 'detected')) : null,
      h('label', { for: 'dev-image-file' }, 'Image'),
      h('div', file, ' ', meta && meta.image ? h('button.danger', { type: 'button', onclick: deleteImage }, 'Remove image') : null,
        h('div.muted', 'PNG or JPEG, at most 1 MiB.')),
      h('div.actions',
        h('button.primary#meta-save', { type: 'submit' }, 'Save'),
        h('span.muted#meta-status', meta && meta.updated ? 'Last changed ' + time(meta.updated) : 'Nothing stored yet')),
    );
    if (dev && dev.vendor) {
      inputs.vendor.setAttribute('list', 'meta-vendor-detected');
      inputs.vendor.placeholder = 'detected: ' + dev.vendor;
    }
    form.onsubmit = async (ev) => {
      ev.preventDefault();
      const body = {};
      for (const [k] of fields) body[k] = inputs[k].value;
      try {
        meta = await send('PUT', base + '/metadata', body);
        forget();
        if (file.files.length) await uploadImage(file.files[0]);
        toast('Metadata saved', 'ok');
        drawHead();
        drawForm();
      } catch (err) {
        toast(saveError(err), 'error');
      }
    };
  }

  async function uploadImage(f) {
    if (f.size > 1 << 20) throw new Error('the image is larger than 1 MiB');
    await send('PUT', base + '/image', f, f.type || 'application/octet-stream');
    meta = await life.get(base + '/metadata');
  }

  async function deleteImage() {
    try {
      await send('DELETE', base + '/image');
      meta = await life.get(base + '/metadata');
      toast('Image removed', 'ok');
      drawHead();
      drawForm();
    } catch (err) {
      toast(saveError(err), 'error');
    }
  }

  function drawRoles() {
    if (!dev) { fill(roles, h('div.muted', 'No roles: the device is not in the model.')); return; }
    const now = dev.roles.length ? dev.roles.map((r) => h('div',
      h('span.chip.role', { dataset: { role: r.role } }, roleText(r.role)),
      h('ul.evidence', r.evidence.map((e) => h('li', { dataset: { kind: e.kind } }, evidenceText(e)))))) : [h('div.muted', 'No role now: no recent evidence.')];
    const past = dev.roleHistory || [];
    fill(roles, ...now, past.length ? h('div#role-history', h('h3', 'Past roles'),
      h('ul', past.map((r) => h('li', h('span.chip.role', { dataset: { role: r.role } }, roleText(r.role)), ` ${time(r.from)} – ${time(r.to)}`)))) : null);
  }

  // reportedParent shows what the port itself said of its parent
  // (PARENT_DATA_SET) when that is not the parent shown.
  function reportedParent(i) {
    if (!i.reportedParentPortIdentity || i.reportedParentPortIdentity === i.parentPortIdentity) return null;
    return h('div.muted', 'says ', i.reportedParentPortIdentity, srcBadge('management', 'PARENT_DATA_SET'));
  }

  function drawInstances(list) {
    if (!list.length) { fill(insts, h('div.muted', 'No instances.')); return; }
    const now = Date.now();
    fill(insts, h('table.t',
      h('thead', h('tr', ['scope', 'portIdentity', 'state', 'address', 'parent', 'grandmaster', 'offset', 'messages', 'last seen', ''].map((x) => h('th', x)))),
      h('tbody', list.map((i) => [
        h('tr', { dataset: { instance: i.id } },
          h('td', i.scope),
          h('td.id', i.portIdentity),
          h('td', h('span.chip.state', { style: { '--c': stateColour(i.portState) }, title: `${i.portState} (${i.portStateSource})` }, stateLabel(i.portState)),
            srcBadge(i.portStateSource), i.silent ? h('span.sev-critical', ' silent') : null),
          h('td.mono', i.address || i.mac || '–'),
          h('td.id', i.parentPortIdentity ? [h('a', { href: '/devices/' + i.parentPortIdentity.split('-')[0], 'data-link': true }, i.parentPortIdentity), srcBadge(i.parentSource)] : '–',
            reportedParent(i)),
          h('td.id', i.grandmasterIdentity ? h('a', { href: '/devices/' + i.grandmasterIdentity, 'data-link': true }, i.grandmasterIdentity) : '–'),
          h('td.num', { title: i.offsetFromCapture ? i.offsetFromCapture.note : '' }, i.offsetFromCapture ? [ns(i.offsetFromCapture.lastNs), srcBadge(i.offsetFromCapture.source)] : '–'),
          h('td', messageTypes.filter((t) => i.counters[t]).map((t) => typeChip(t, ` ${num(i.counters[t].count)}` + (i.counters[t].perSecond ? ` · ${i.counters[t].perSecond}/s` : '')))),
          h('td', ago(i.lastSeen, now)),
          h('td', h('a', { href: '/packets?instance=' + i.id, 'data-link': true }, 'packets'))),
        i.evidence && i.evidence.length ? h('tr', h('td', { colspan: 10, class: 'muted', style: { paddingTop: 0 } }, 'Evidence: ' + i.evidence.map((e) => evidenceText(e, true)).join('; '))) : null,
      ]))));
  }

  async function load(first) {
    try {
      const [d, m, list] = await life.settle(Promise.all([
        get(base).catch((err) => { if (err.status === 404) return null; throw err; }),
        first ? get(base + '/metadata').catch((err) => { if (err.status === 404) return null; throw err; }) : Promise.resolve(meta),
        get('/instances?clockIdentity=' + encodeURIComponent(id)).catch(() => []),
      ]));
      if (!d && !m && first) {
        fill(root, h('p.sev-warning', `No device ${id} in the model and no metadata stored for it.`),
          h('a', { href: '/devices', 'data-link': true }, '← Devices'));
        return;
      }
      dev = d;
      if (first) { meta = m || {}; drawHead(); drawForm(); }
      drawRoles();
      drawInstances(list);
    } catch (err) {
      if (first) fill(root, h('p.sev-critical', 'Cannot load the device: ' + err.message));
    }
  }

  load(true);
  life.every(5000, () => load(false));
  life.own(() => { if (imgURL) URL.revokeObjectURL(imgURL); });
}

function saveError(err) {
  if (err instanceof APIError && err.status === 403) return 'Not allowed: changing metadata needs the admin role. ' + err.message;
  return 'Cannot save: ' + err.message;
}
