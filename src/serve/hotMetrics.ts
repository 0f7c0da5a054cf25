/**
 * A counter and a histogram for the request path, registered in a prom-client Registry like its own
 * metrics (same exposition, same JSON, aggregated across --workers by sum) but cheap to update: a bound
 * child is a plain number or a Float64Array, so an increment or an observation costs no label hashing.
 * prom-client re-hashes the labels on every call even through `labels()`, which was a measurable share of
 * an L1 hit's CPU (docs/serving.md "Where the time goes").
 */
import type { Registry } from 'prom-client';

type Labels = Record<string, string>;

interface MetricValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

interface MetricJson {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

abstract class HotMetric<Child> {
  protected readonly children = new Map<string, { labels: Labels; child: Child }>();
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    registry: Registry,
  ) {
    // prom-client's Registry takes any object with name, get() and reset().
    registry.registerMetric(this as never);
  }

  /** The child for these labels, created on first use; keep it to update it without a lookup. */
  labels(labels: Labels): Child {
    const key = this.labelNames.map((n) => labels[n] ?? '').join('\u0000');
    let c = this.children.get(key);
    if (!c) {
      const own: Labels = {};
      for (const n of this.labelNames) if (labels[n] !== undefined) own[n] = labels[n];
      this.children.set(key, (c = { labels: own, child: this.create() }));
    }
    return c.child;
  }

  reset(): void {
    this.children.clear();
  }

  protected abstract create(): Child;
  abstract get(): Promise<MetricJson>;
}

export class HotCounter extends HotMetric<{ n: number; inc(by?: number): void }> {
  readonly type = 'counter';

  inc(labels: Labels, by = 1): void {
    this.labels(labels).inc(by);
  }

  protected create(): { n: number; inc(by?: number): void } {
    return {
      n: 0,
      inc(by = 1) {
        this.n += by;
      },
    };
  }

  async get(): Promise<MetricJson> {
    const values = [...this.children.values()].map(({ labels, child }) => ({ value: child.n, labels }));
    return { name: this.name, help: this.help, type: 'counter', values, aggregator: 'sum' };
  }
}

export interface HistogramChild {
  /** Per bucket (not cumulative), then sum and count. */
  readonly counts: Float64Array;
  sum: number;
  observe(value: number): void;
}

export class HotHistogram extends HotMetric<HistogramChild> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], readonly buckets: readonly number[], registry: Registry) {
    super(name, help, labelNames, registry);
  }

  observe(labels: Labels, value: number): void {
    this.labels(labels).observe(value);
  }

  protected create(): HistogramChild {
    const bounds = this.buckets;
    return {
      counts: new Float64Array(bounds.length + 1),
      sum: 0,
      observe(value: number) {
        let i = 0;
        while (i < bounds.length && value > bounds[i]) i++;
        this.counts[i]++;
        this.sum += value;
      },
    };
  }

  async get(): Promise<MetricJson> {
    const values: MetricValue[] = [];
    for (const { labels, child } of this.children.values()) {
      let acc = 0;
      this.buckets.forEach((le, i) => {
        acc += child.counts[i];
        values.push({ value: acc, labels: { le, ...labels }, metricName: `${this.name}_bucket` });
      });
      acc += child.counts[this.buckets.length];
      values.push({ value: acc, labels: { le: '+Inf', ...labels }, metricName: `${this.name}_bucket` });
      values.push({ value: child.sum, labels, metricName: `${this.name}_sum` });
      values.push({ value: acc, labels, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', values, aggregator: 'sum' };
  }
}
