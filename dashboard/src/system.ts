/** The system view: the served bundle and its manifest, the index, caches, events, requests over the last minutes, fallbacks. */
import { api, type Status } from './api.js';
import { facts, fmt, h, ms, pct } from './dom.js';
import { lineChart } from './plot.js';
import { errorNotice } from './user.js';

/** How often the view refreshes while it is shown. */
const REFRESH_MS = 5000;

export class SystemView {
  private readonly root = h('section', { class: 'view', 'aria-labelledby': 'system-title' });
  private readonly body = h('div', {});
  private readonly stamp = h('span', { class: 'muted', 'aria-live': 'off' });
  private timer: number | null = null;

  constructor() {
    this.root.append(
      h('div', { class: 'row' }, h('h2', { id: 'system-title' }, 'System'), h('button', { type: 'button', onclick: (() => void this.refresh()) as EventListener }, 'Refresh'), this.stamp),
      this.body,
    );
  }

  element(): HTMLElement {
    return this.root;
  }

  async show(): Promise<void> {
    this.hide();
    await this.refresh();
    this.timer = window.setInterval(() => void this.refresh(), REFRESH_MS);
  }

  hide(): void {
    if (this.timer !== null) window.clearInterval(this.timer);
    this.timer = null;
  }

  private async refresh(): Promise<void> {
    try {
      const st = await api.status();
      this.body.replaceChildren(...render(st));
      this.stamp.textContent = `updated ${new Date(st.now).toLocaleTimeString()}`;
    } catch (e) {
      this.body.replaceChildren(errorNotice(e));
    }
  }
}

function tile(label: string, value: string, testid?: string): HTMLElement {
  return h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), h('div', { class: 'tile-value', 'data-testid': testid }, value));
}

function render(st: Status): HTMLElement[] {
  const w = st.requests.window;
  const r = w.recommendations;
  const mins = Math.max(1, Math.round(w.seconds / 60));
  const tiles = h(
    'div',
    { class: 'tiles' },
    tile('Requests (total)', fmt(st.requests.total), 'requests-total'),
    tile(`Requests/s (last ${w.seconds < 60 ? `${Math.round(w.seconds)} s` : `${mins} min`})`, fmt(w.requestsPerSecond, 2), 'requests-rate'),
    tile('Recommendations p50 / p95 / p99', `${ms(r.p50)} / ${ms(r.p95)} / ${ms(r.p99)}`, 'latency'),
    tile('L1 hit rate', pct(st.caches.l1.hitRate), 'l1-rate'),
    tile('L2 hit rate', st.caches.l2.configured ? pct(st.caches.l2.hitRate) : 'off', 'l2-rate'),
    tile('Event lag', st.events.lag === null ? 'no invalidator here' : fmt(st.events.lag), 'event-lag'),
  );
  const served = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'served-title' },
    h('h3', { id: 'served-title' }, 'Serving'),
    facts([
      ['Bundle version', h('span', { 'data-testid': 'version' }, st.version)],
      ['Bundle folder', st.bundle.dir],
      ['On disk', st.bundle.onDisk && st.bundle.onDisk !== st.version ? `${st.bundle.onDisk} (not served)` : st.bundle.onDisk],
      ['Store', st.store],
      ['Scorer', st.scorer],
      ['Uptime', `${fmt(st.uptimeSeconds)} s`],
      ['Requests by class', Object.entries(st.requests.byClass).map(([k, v]) => `${k}: ${fmt(v)}`).join(' · ') || 'none'],
      ['Answers by path', Object.entries(st.requests.answers).map(([k, v]) => `${k}: ${fmt(v)}`).join(' · ') || 'none'],
    ]),
  );
  const idx = st.index;
  const index = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'index-title' },
    h('h3', { id: 'index-title' }, 'ANN index'),
    idx.present
      ? facts([
          ['Vectors', fmt(idx.size ?? null)],
          ['Tiers', idx.tiers ? Object.entries(idx.tiers).map(([k, v]) => `${k}: ${typeof v === 'number' ? fmt(v) : String(v)}`).join(' · ') : '–'],
          ['Failed searches', fmt(idx.failures ?? 0)],
          ['Version mismatches', fmt(idx.versionMismatches ?? 0)],
        ])
      : h('p', { class: 'muted' }, 'No ANN index in this server (the bundle has none, or PYMK_ANN_CANDIDATES=0).'),
  );
  const caches = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'caches-title' },
    h('h3', { id: 'caches-title' }, 'Caches and events'),
    facts([
      ['L1', `${fmt(st.caches.l1.hits)} hits, ${fmt(st.caches.l1.misses)} misses, ${fmt(st.caches.l1.entries)} users held`],
      ['L2', st.caches.l2.configured ? `${fmt(st.caches.l2.hits)} hits, ${fmt(st.caches.l2.misses)} misses` : 'off'],
      ['Event log', st.events.log ?? 'none (POST /v1/events answers 503)'],
      ['Events accepted', fmt(st.events.accepted)],
      ['Applied / dead letters', `${fmt(st.events.applied)} / ${fmt(st.events.deadLetters)}`],
      ['Invalidations', fmt(st.events.invalidations)],
    ]),
  );
  const fb = st.fallbacks;
  const fallbacks = h(
    'section',
    { class: 'panel', 'aria-labelledby': 'fallbacks-title' },
    h('h3', { id: 'fallbacks-title' }, 'Fallbacks in use'),
    facts([
      ['Degraded answers', fmt(fb.degraded as number)],
      ['Static / stale answers', fmt(fb.staleOrStaticAnswers as number)],
      ['Static-ranking failures', fmt(fb.staticFailures as number)],
      ['Rate limited / limiter down', `${fmt(fb.rateLimited as number)} / ${fmt(fb.limiterFailures as number)}`],
      ['ANN search failures', fmt(fb.annSearchFailures as number)],
      ['Errors by code', Object.entries(st.requests.errors).map(([k, v]) => `${k}: ${fmt(v)}`).join(' · ') || 'none'],
    ]),
  );
  const series = st.requests.series;
  const plot = h(
    'section',
    { class: 'panel wide', 'aria-labelledby': 'traffic-title' },
    h('h3', { id: 'traffic-title' }, 'Traffic, 10-second steps'),
    series.length
      ? h('div', { class: 'plots' },
          lineChart('Requests per second', [{ name: 'requests/s', points: series.map((p) => [p.t, p.requestsPerSecond]) }], '/s'),
          lineChart('Recommendations latency p95', [{ name: 'p95 ms', points: series.map((p) => [p.t, p.p95]) }], 'ms'),
        )
      : h('p', { class: 'muted' }, 'The first 10-second step is not over yet.'),
  );
  const m = st.bundle.manifest;
  const manifest = h(
    'section',
    { class: 'panel wide', 'aria-labelledby': 'manifest-title' },
    h('h3', { id: 'manifest-title' }, 'Manifest of the served bundle'),
    m
      ? h('div', { class: 'two' },
          h('table', {},
            h('caption', {}, `Stages (${ms(m.totalMs)} in all)`),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Stage'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, 'Time'))),
            h('tbody', {}, m.stages.map((s) => h('tr', {}, h('td', {}, s.name), h('td', {}, s.reused ? `${s.status} (reused)` : s.status), h('td', { class: 'num' }, ms(s.ms))))),
          ),
          h('table', {},
            h('caption', {}, 'Evaluation metrics'),
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Metric'), h('th', { scope: 'col', class: 'num' }, 'Value'))),
            h('tbody', {}, Object.entries(m.evaluation).length ? Object.entries(m.evaluation).map(([k, v]) => h('tr', {}, h('td', {}, k), h('td', { class: 'num' }, fmt(v, 4)))) : h('tr', {}, h('td', { colspan: 2, class: 'muted' }, 'none recorded'))),
          ),
        )
      : h('p', { class: 'muted' }, 'The served version has no manifest in the bundle folder (a Redis store serving another publish?).'),
  );
  return [tiles, h('div', { class: 'grid' }, served, index, caches, fallbacks), plot, manifest];
}
