/**
 * "The last minutes" of the server's own metrics: a ring buffer of snapshots of its prom-client counters,
 * one every SNAPSHOT_MS, so the status route can give request rates, latency percentiles and cache hit
 * rates over a window (the difference between now and the oldest snapshot inside it) without a Prometheus.
 */
import type { Metrics } from './metrics.js';

/** How often a snapshot is taken, and how many are kept (10 minutes). */
export const SNAPSHOT_MS = 10_000;
export const SNAPSHOTS_KEPT = 60;

/** The route whose latency the status reports (the serving API). */
export const RECOMMENDATIONS_ROUTE = '/v1/users/:id/recommendations';

/** Cumulative counts at one moment. */
export interface Snapshot {
  t: number;
  /** Every request, and by status class ('2xx', '4xx', '5xx', …). */
  requests: number;
  byClass: Record<string, number>;
  /** The recommendations route: count and cumulative bucket counts (upper bounds in `bounds`). */
  rec: { count: number; buckets: number[] };
  bounds: number[];
  /** Cache lookups by `layer:result` (l1:hit, l2:miss, …). */
  cache: Record<string, number>;
  /** Answers by the path that served them. */
  answers: Record<string, number>;
  /** Error answers by PYMK code. */
  errors: Record<string, number>;
  /** Gauges and counters without labels, by name (pymk_event_lag, pymk_events_accepted_total, …). */
  plain: Record<string, number>;
}

interface MetricJson {
  name: string;
  type: string;
  values: { value: number; metricName?: string; labels: Record<string, string | number> }[];
}

/** Reads every metric once (gauges are collected) into a Snapshot. */
export async function snapshotOf(metrics: Metrics, t = Date.now()): Promise<Snapshot> {
  const all = (await metrics.registry.getMetricsAsJSON()) as unknown as MetricJson[];
  const s: Snapshot = { t, requests: 0, byClass: {}, rec: { count: 0, buckets: [] }, bounds: [], cache: {}, answers: {}, errors: {}, plain: {} };
  const bucketAt = new Map<number, number>();
  for (const m of all) {
    if (m.name === 'pymk_http_request_duration_seconds') {
      for (const v of m.values) {
        if (v.metricName?.endsWith('_count')) {
          s.requests += v.value;
          const cls = `${String(v.labels.status)[0]}xx`;
          s.byClass[cls] = (s.byClass[cls] ?? 0) + v.value;
          if (v.labels.route === RECOMMENDATIONS_ROUTE) s.rec.count += v.value;
        } else if (v.metricName?.endsWith('_bucket') && v.labels.route === RECOMMENDATIONS_ROUTE && v.labels.le !== '+Inf') {
          const le = Number(v.labels.le);
          bucketAt.set(le, (bucketAt.get(le) ?? 0) + v.value);
        }
      }
    } else if (m.name === 'pymk_cache_lookups_total') {
      for (const v of m.values) add(s.cache, `${v.labels.layer}:${v.labels.result}`, v.value);
    } else if (m.name === 'pymk_answers_total') {
      for (const v of m.values) add(s.answers, String(v.labels.path), v.value);
    } else if (m.name === 'pymk_http_errors_total') {
      for (const v of m.values) add(s.errors, String(v.labels.code), v.value);
    } else if ((m.type === 'gauge' || m.type === 'counter') && m.name.startsWith('pymk_') && m.values.length === 1 && Object.keys(m.values[0].labels).length === 0) {
      s.plain[m.name] = m.values[0].value;
    }
  }
  s.bounds = [...bucketAt.keys()].sort((a, b) => a - b);
  s.rec.buckets = s.bounds.map((b) => bucketAt.get(b) ?? 0);
  return s;
}

function add(o: Record<string, number>, k: string, v: number): void {
  o[k] = (o[k] ?? 0) + v;
}

/** What happened between two snapshots. */
export interface Window {
  seconds: number;
  requests: number;
  requestsPerSecond: number;
  byClass: Record<string, number>;
  recommendations: { count: number; perSecond: number; p50: number | null; p95: number | null; p99: number | null };
  cacheHitRate: { l1: number | null; l2: number | null };
  answers: Record<string, number>;
  errors: Record<string, number>;
}

export function windowBetween(a: Snapshot, b: Snapshot): Window {
  const seconds = Math.max((b.t - a.t) / 1000, 1e-3);
  const requests = b.requests - a.requests;
  const count = b.rec.count - a.rec.count;
  const buckets = b.bounds.map((le, i) => (b.rec.buckets[i] ?? 0) - (a.bounds.indexOf(le) >= 0 ? a.rec.buckets[a.bounds.indexOf(le)] : 0));
  const q = (p: number) => quantile(b.bounds, buckets, count, p);
  const hit = (layer: string) => rate(diff(b.cache, a.cache, `${layer}:hit`), diff(b.cache, a.cache, `${layer}:miss`));
  return {
    seconds: round(seconds, 1),
    requests,
    requestsPerSecond: round(requests / seconds, 2),
    byClass: diffAll(b.byClass, a.byClass),
    recommendations: { count, perSecond: round(count / seconds, 2), p50: q(0.5), p95: q(0.95), p99: q(0.99) },
    cacheHitRate: { l1: hit('l1'), l2: hit('l2') },
    answers: diffAll(b.answers, a.answers),
    errors: diffAll(b.errors, a.errors),
  };
}

/**
 * The p-quantile in milliseconds from cumulative bucket counts, interpolated linearly inside its bucket (as
 * Prometheus's histogram_quantile does); null without observations; the top bound when it lies above it.
 */
export function quantile(bounds: number[], cumulative: number[], count: number, p: number): number | null {
  if (count <= 0) return null;
  const rank = p * count;
  for (let i = 0; i < bounds.length; i++) {
    if (cumulative[i] >= rank) {
      const lo = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : cumulative[i - 1];
      const inside = cumulative[i] - below;
      const x = inside > 0 ? lo + ((bounds[i] - lo) * (rank - below)) / inside : bounds[i];
      return round(x * 1000, 3);
    }
  }
  return bounds.length ? round(bounds[bounds.length - 1] * 1000, 3) : null;
}

function diff(b: Record<string, number>, a: Record<string, number>, k: string): number {
  return (b[k] ?? 0) - (a[k] ?? 0);
}

function diffAll(b: Record<string, number>, a: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(b).map((k) => [k, diff(b, a, k)]));
}

function rate(hits: number, misses: number): number | null {
  return hits + misses > 0 ? round(hits / (hits + misses), 4) : null;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The ring buffer: a snapshot at start, then one every SNAPSHOT_MS (an unref'd timer), the newest SNAPSHOTS_KEPT kept. */
export class MetricsHistory {
  private readonly ring: Snapshot[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly metrics: Metrics,
    private readonly clock: () => number = Date.now,
    private readonly kept = SNAPSHOTS_KEPT,
  ) {}

  async start(everyMs = SNAPSHOT_MS): Promise<void> {
    await this.take();
    this.timer = setInterval(() => void this.take().catch(() => {}), everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async take(): Promise<Snapshot> {
    const s = await snapshotOf(this.metrics, this.clock());
    this.ring.push(s);
    if (this.ring.length > this.kept) this.ring.shift();
    return s;
  }

  /** The snapshots kept, oldest first. */
  snapshots(): readonly Snapshot[] {
    return this.ring;
  }

  /**
   * Now against the oldest snapshot at most `seconds` old (or the oldest kept, when the server is younger),
   * and the series of 10-s steps between the kept snapshots and now.
   */
  async window(seconds: number): Promise<{ now: Snapshot; window: Window; series: Array<{ t: number; requestsPerSecond: number; p95: number | null }> }> {
    const now = await snapshotOf(this.metrics, this.clock());
    const from = this.ring.find((s) => now.t - s.t <= seconds * 1000) ?? this.ring[this.ring.length - 1] ?? now;
    const points = [...this.ring, now];
    const series = points.slice(1).map((s, i) => {
      const w = windowBetween(points[i], s);
      return { t: s.t, requestsPerSecond: w.requestsPerSecond, p95: w.recommendations.p95 };
    });
    return { now, window: windowBetween(from, now), series };
  }
}
