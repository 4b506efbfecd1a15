// Preview beside a .sdprompt file: live preview while sampling, the latest result, a history strip for the spec
// under the cursor. State (the file's URI) is saved so the panel comes back after a reload.
import '../common/style.css';
import { h } from '../common/dom';
import { gallery } from '../common/gallery';
import type { HostMessage, PreviewState } from '../common/messages';
import { progressBar } from '../common/progress';
import { getState, onMessage, ready, setState } from '../common/vscodeApi';

const app = document.getElementById('app')!;
const title = h('div', { class: 'preview-title', id: 'preview-title' });
const status = h('div', { class: 'status', id: 'status' });
const progress = progressBar();
const gal = gallery(() => undefined, (t, err) => { status.textContent = t; status.className = `status${err ? ' error' : ''}`; });
app.append(h('div', { class: 'layout single' }, h('div', { class: 'col' }, title, progress.el, gal.el, status)));
app.removeAttribute('aria-busy');

// results per spec, kept in the state with the file's URI so a reload brings the history back
const histories: Record<number, PreviewState['history']> = getState<{ history?: Record<number, PreviewState['history']> }>()?.history ?? {};
const show = (p: PreviewState) => {
  if (p.history.length) histories[p.specIndex] = p.history.slice(0, 16);
  setState({ uri: p.uri, history: histories });
  title.textContent = `${p.file} · spec ${p.specIndex + 1}${p.running ? ' · generating…' : ''}`;
  gal.show(p.history, 0);
  if (p.live) gal.setLive(p.live.src, `live preview · image ${p.live.image + 1} · step ${p.live.step}`);
  if (!p.running) progress.el.hidden = true;
  else if (progress.el.hidden) progress.start('Waiting for the job…');
};
onMessage((m: HostMessage) => {
  if (m.type === 'init' && m.preview) show(m.preview);
  else if (m.type === 'preview') show(m.preview);
  else if (m.type === 'progress') progress.update(m.progress);
});
ready();
