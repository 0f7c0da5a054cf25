/** Pipeline runs: the bundles in the bundle root side by side (status, stage times, evaluation metrics), with plots. */
import { api, type RunSummary } from './api.js';
import { fmt, h, ms } from './dom.js';
import { bars } from './plot.js';
import { errorNotice } from './user.js';

export class RunsView {
  private readonly root = h('section', { class: 'view', 'aria-labelledby': 'runs-title' });
  private readonly body = h('div', {});

  constructor() {
    this.root.append(h('h2', { id: 'runs-title' }, 'Pipeline runs'), this.body);
  }

  element(): HTMLElement {
    return this.root;
  }

  async show(): Promise<void> {
    this.body.replaceChildren(h('p', { class: 'muted' }, 'Reading the manifests…'));
    try {
      const r = await api.runs();
      this.body.replaceChildren(...render(r.root, r.served, r.runs));
    } catch (e) {
      this.body.replaceChildren(errorNotice(e));
    }
  }
}

function label(r: RunSummary): string {
  return r.name;
}

function render(root: string | null, served: string | null, newestFirst: RunSummary[]): HTMLElement[] {
  if (newestFirst.length === 0) return [h('p', { class: 'muted' }, root ? `No bundle folders in ${root}.` : 'This server was not started from a bundle folder.')];
  const runs = [...newestFirst].reverse(); // oldest first, so plots read left to right in time
  const metricNames = [...new Set(runs.flatMap((r) => Object.keys(r.evaluation)))].sort();
  const stageNames = [...new Set(runs.flatMap((r) => r.stages.map((s) => s.name)))];
  const head = h('tr', {}, h('th', { scope: 'col' }, ''), runs.map((r) => h('th', { scope: 'col', class: 'num' }, label(r), r.version && r.version === served ? h('span', { class: 'badge ok' }, 'served') : null)));
  const row = (name: string, cells: string[]) => h('tr', {}, h('th', { scope: 'row' }, name), cells.map((c) => h('td', { class: 'num' }, c)));
  const table = h(
    'table',
    { class: 'runs', 'data-testid': 'runs' },
    h('caption', {}, `Runs in ${root ?? '?'} (oldest left)`),
    h('thead', {}, head),
    h('tbody', {},
      row('status', runs.map((r) => r.status)),
      row('version', runs.map((r) => r.version ?? '–')),
      row('created', runs.map((r) => (r.createdAt ? new Date(r.createdAt).toLocaleString() : '–'))),
      row('total time', runs.map((r) => ms(r.totalMs))),
      stageNames.map((s) => row(`time: ${s}`, runs.map((r) => ms(r.stages.find((x) => x.name === s)?.ms ?? null)))),
      metricNames.map((m) => row(m, runs.map((r) => fmt(r.evaluation[m] ?? null, 4)))),
    ),
  );
  const out: HTMLElement[] = [h('div', { class: 'scroll' }, table)];
  const plots = h('div', { class: 'plots' });
  // Recall@20 of each method (or whatever recall the runs have) reads best as bars per run.
  const recall = metricNames.filter((m) => /recall/i.test(m));
  if (recall.length) {
    plots.append(h('section', { class: 'panel' }, h('h3', {}, 'Recall of each method, per run'),
      bars('Recall per run', runs.map(label), recall.map((m) => ({ name: m.replace(/^rank\.valid\./, ''), values: runs.map((r) => r.evaluation[m] ?? null) })), ''),
    ));
  }
  plots.append(h('section', { class: 'panel' }, h('h3', {}, 'Stage times per run'),
    bars('Stage times per run', runs.map(label), stageNames.map((s) => ({ name: s, values: runs.map((r) => { const t = r.stages.find((x) => x.name === s)?.ms; return t === null || t === undefined ? null : t / 1000; }) })), 's', true),
  ));
  out.push(plots);
  const broken = runs.filter((r) => r.error || r.stages.some((s) => s.error));
  for (const r of broken) out.push(h('p', { class: 'notice' }, `${r.name}: ${r.error ?? r.stages.find((s) => s.error)?.error}`));
  return out;
}
