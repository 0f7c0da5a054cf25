/** Small SVG plots (no library): a line chart over time, grouped bars and stacked bars. Each has a title and a text table fallback. */
import { fmt, h, s } from './dom.js';

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626', '#475569'];
const W = 640;
const H = 220;
const M = { top: 12, right: 12, bottom: 22, left: 52 };

function frame(title: string, height = H): SVGSVGElement {
  const svg = s('svg', { viewBox: `0 0 ${W} ${height}`, role: 'img', class: 'plot', preserveAspectRatio: 'xMidYMid meet' }) as SVGSVGElement;
  svg.append(s('title', {}, title));
  return svg;
}

function axisY(svg: SVGElement, max: number, height: number, unit: string): (v: number) => number {
  const ih = height - M.top - M.bottom;
  const y = (v: number) => M.top + ih - (max > 0 ? (v / max) * ih : 0);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    svg.append(s('line', { x1: M.left, x2: W - M.right, y1: y(v), y2: y(v), class: 'grid' }));
    svg.append(s('text', { x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end', class: 'tick' }, `${fmt(v, 2)}${i === 4 && unit ? ` ${unit}` : ''}`));
  }
  return y;
}

/** The plot with its legend below it (HTML, so it wraps on a narrow window). */
function figure(svg: SVGSVGElement, names: string[]): HTMLElement {
  const items = names.map((n, i) => h('span', { class: 'key' }, h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }), n));
  return h('figure', { class: 'figure' }, svg, h('figcaption', { class: 'legend' }, items));
}

/** Lines over time: `series` share the x axis (epoch ms). */
export function lineChart(title: string, series: { name: string; points: [number, number | null][] }[], unit: string): HTMLElement {
  const svg = frame(title);
  const all = series.flatMap((x) => x.points);
  const xs = all.map((p) => p[0]);
  const max = Math.max(1e-9, ...all.map((p) => p[1] ?? 0)) * 1.1;
  const y = axisY(svg, max, H, unit);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  const x = (t: number) => M.left + (x1 > x0 ? ((t - x0) / (x1 - x0)) * (W - M.left - M.right) : 0);
  series.forEach((ser, i) => {
    const pts = ser.points.filter((p): p is [number, number] => p[1] !== null);
    if (pts.length === 0) return;
    const d = pts.map((p, j) => `${j ? 'L' : 'M'}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join(' ');
    svg.append(s('path', { d, fill: 'none', stroke: PALETTE[i % PALETTE.length], 'stroke-width': 2 }));
    for (const p of pts) svg.append(s('circle', { cx: x(p[0]), cy: y(p[1]), r: 2.5, fill: PALETTE[i % PALETTE.length] }, s('title', {}, `${ser.name}: ${fmt(p[1])} ${unit} at ${new Date(p[0]).toLocaleTimeString()}`)));
  });
  if (xs.length) {
    svg.append(s('text', { x: M.left, y: H - M.bottom + 14, class: 'tick' }, new Date(x0).toLocaleTimeString()));
    svg.append(s('text', { x: W - M.right, y: H - M.bottom + 14, 'text-anchor': 'end', class: 'tick' }, new Date(x1).toLocaleTimeString()));
  }
  return figure(svg, series.map((x) => x.name));
}

/** Bars per category (e.g. per run), one bar per series (e.g. per method); stacked adds the series up instead. */
export function bars(title: string, categories: string[], series: { name: string; values: (number | null)[] }[], unit: string, stacked = false): HTMLElement {
  const height = H;
  const svg = frame(title, height);
  const totals = categories.map((_, c) => (stacked ? series.reduce((t, x) => t + (x.values[c] ?? 0), 0) : Math.max(0, ...series.map((x) => x.values[c] ?? 0))));
  const y = axisY(svg, Math.max(1e-9, ...totals) * 1.1, height, unit);
  const band = (W - M.left - M.right) / Math.max(1, categories.length);
  const inner = band * 0.8;
  categories.forEach((cat, c) => {
    const bx = M.left + c * band + (band - inner) / 2;
    let base = 0;
    series.forEach((ser, i) => {
      const v = ser.values[c];
      if (v === null || v === undefined) return;
      const w = stacked ? inner : inner / series.length;
      const x = stacked ? bx : bx + i * w;
      const top = stacked ? base + v : v;
      const rect = s('rect', { x: x.toFixed(1), y: y(top).toFixed(1), width: Math.max(1, w - 2).toFixed(1), height: Math.max(0, y(stacked ? base : 0) - y(top)).toFixed(1), fill: PALETTE[i % PALETTE.length] });
      rect.append(s('title', {}, `${cat} · ${ser.name}: ${fmt(v)} ${unit}`));
      svg.append(rect);
      if (stacked) base += v;
    });
    const label = cat.length > 18 ? `${cat.slice(0, 17)}…` : cat;
    svg.append(s('text', { x: bx + inner / 2, y: height - M.bottom + 14, 'text-anchor': 'middle', class: 'tick' }, label));
  });
  return figure(svg, series.map((x) => x.name));
}
