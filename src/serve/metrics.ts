/**
 * The server's Prometheus metrics (prom-client), one registry per app, served at GET /metrics. Each metric
 * is declared here once, with its name, help and labels; the code that observes it takes it from
 * `app.metrics`. Gauges whose value lives elsewhere (cache sizes, event lag) are collected on scrape. The
 * metrics every request updates (requests, stages, answers, cache lookups) are hotMetrics.ts's, which cost
 * no label hashing per update.
 */
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { HotCounter, HotHistogram } from './hotMetrics.js';

/** Latency buckets in seconds, from 0.5 ms to 2.5 s: the budget (150 ms) sits in the middle. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5];

export class Metrics {
  readonly registry = new Registry();
  /** Every answered request: route (the route pattern, or 'unknown'), method, status code. */
  readonly requests = new HotHistogram('pymk_http_request_duration_seconds', 'HTTP request duration by route, method and status code', ['route', 'method', 'status'], LATENCY_BUCKETS, this.registry);
  /** Error answers by their stable PYMK_* code. */
  readonly errors = new Counter({ name: 'pymk_http_errors_total', help: 'Error answers by PYMK_* code', labelNames: ['code'] as const, registers: [this.registry] });
  /** Recommendation answers by the path that served them (full, static, stale-cache, …). */
  readonly answers = new HotCounter('pymk_answers_total', 'Recommendation answers by the path that served them', ['path'], this.registry);
  /** Answers not from the full path, by the fallback that served them and why (serve/degrade.ts). */
  readonly fallbacks = new Counter({
    name: 'pymk_fallbacks_total',
    help: 'Answers served by a fallback, by path and reason',
    labelNames: ['path', 'reason'] as const,
    registers: [this.registry],
  });
  /** Cache lookups by layer (l1, l2) and result (hit, miss). */
  readonly cache = new HotCounter('pymk_cache_lookups_total', 'Cache lookups by layer and result', ['layer', 'result'], this.registry);
  /** Requests refused with 429, and limiter calls that failed (served without a limit). */
  readonly rateLimited = new Counter({ name: 'pymk_rate_limited_total', help: 'Requests refused with 429', registers: [this.registry] });
  readonly limiterFailures = new Counter({ name: 'pymk_rate_limiter_failures_total', help: 'Rate-limiter calls that failed (the request was served)', registers: [this.registry] });
  /** Time per stage: l2 (the shared cache read), then the recommend path's resolve, inputs (one store round trip), ann, score, rules, reasons. */
  readonly stages = new HotHistogram('pymk_stage_duration_seconds', 'Time per stage of the recommend path', ['stage'], LATENCY_BUCKETS, this.registry);

  // Freshness (docs/events.md).
  /** Events appended through POST /v1/events. */
  readonly eventsAccepted = new Counter({ name: 'pymk_events_accepted_total', help: 'Events appended through POST /v1/events', registers: [this.registry] });
  /** Users evicted from this process's caches by invalidation announcements. */
  readonly invalidations = new Counter({ name: 'pymk_invalidations_total', help: 'Users evicted from the caches by invalidation announcements', registers: [this.registry] });

  constructor(opts: { defaults?: boolean } = {}) {
    // Process metrics (CPU, memory, event-loop delay as nodejs_eventloop_lag_*), on by default.
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** A gauge whose value is read on each scrape (e.g. an L1 size, an event lag). */
  gauge(name: string, help: string, read: () => number): void {
    new Gauge({
      name,
      help,
      registers: [this.registry],
      collect() {
        this.set(read());
      },
    });
  }

  private exposition: () => Promise<string> = () => this.registry.metrics();

  /** The Prometheus text exposition of every metric (of every process, under --workers: clusterMetrics.ts). */
  text(): Promise<string> {
    return this.exposition();
  }

  /** Replaces what text() serves (the gathered metrics of every server process). */
  expose(exposition: () => Promise<string>): void {
    this.exposition = exposition;
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
