// The page for a path the UI does not know.

import { h } from '../util.js';

export function mount(root, params) {
  root.append(h('div.notfound',
    h('h1', 'Page not found'),
    h('p', 'There is no page at ', h('code', params.path), '.'),
    h('p', h('a', { href: '/', 'data-link': true }, 'Go to the overview'), ' or pick a page above.')));
}
