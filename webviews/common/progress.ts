// A progress bar with a text line ("step 3/16 · image 1/2 · 12 s left") and an indeterminate state.
import { h } from './dom';
import type { JobProgressNotification } from '../../daemon/protocol';

export interface ProgressBar {
  el: HTMLElement;
  start(label: string): void;
  update(p: JobProgressNotification): void;
  done(text: string, kind?: 'ok' | 'error'): void;
}

export function progressBar(): ProgressBar {
  const fill = h('div', { class: 'progress-fill' });
  const bar = h('div', { class: 'progress-track', attrs: { role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' } }, fill);
  const text = h('div', { class: 'progress-text', id: 'progress-text', attrs: { 'aria-live': 'polite' } });
  const el = h('div', { class: 'progress', id: 'progress' }, bar, text);
  el.hidden = true;
  return {
    el,
    start(label) {
      el.hidden = false;
      el.className = 'progress busy';
      fill.style.width = '0%';
      text.textContent = label;
    },
    update(p) {
      const total = Math.max(1, p.steps * p.images);
      const done = (p.image - 1) * p.steps + p.step;
      const pct = Math.max(0, Math.min(100, (100 * done) / total));
      el.className = 'progress';
      fill.style.width = `${pct.toFixed(1)}%`;
      bar.setAttribute('aria-valuenow', pct.toFixed(0));
      text.textContent = p.message;
    },
    done(t, kind = 'ok') {
      el.hidden = false;
      el.className = `progress ${kind}`;
      fill.style.width = kind === 'ok' ? '100%' : fill.style.width;
      text.textContent = t;
    },
  };
}
