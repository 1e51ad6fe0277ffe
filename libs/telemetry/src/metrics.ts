import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Counter, Metric } from 'prom-client';
import { AccumulatingCounter } from './accumulating-counter.js';
import { TelemetryError } from './errors.js';

export interface MetricsOptions {
  /** Prepended to every metric name (default `parley_`). */
  prefix?: string;
  /** Labels added to every series, e.g. `{ service: 'gateway', node: 'n1' }`. */
  defaultLabels?: Record<string, string>;
  /** Collect process metrics: heap, CPU, event loop lag, GC (default true). */
  collectDefault?: boolean;
}

type Kind = 'counter' | 'gauge' | 'histogram';

interface Registered {
  kind: Kind;
  labelNames: readonly string[];
  metric: Metric<string>;
}

/**
 * A prom-client registry with idempotent metric constructors: asking twice
 * for the same name returns the same metric, so services sharing a process
 * can share one Metrics instance.
 */
export interface Metrics {
  readonly registry: Registry;
  readonly prefix: string;
  /** Content type of `text()` (Prometheus text format 0.0.4). */
  readonly contentType: string;
  counter<L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
  ): Counter<L>;
  gauge<L extends string = string>(name: string, help: string, labelNames?: readonly L[]): Gauge<L>;
  histogram<L extends string = string>(
    name: string,
    help: string,
    labelNames?: readonly L[],
    buckets?: readonly number[],
  ): Histogram<L>;
  /** The exposition text of every registered metric. */
  text(): Promise<string>;
  /**
   * The value of a counter or gauge series: `name` (with or without the
   * prefix) and the labels the series has (some of them are enough; the
   * first match counts). 0 when the metric or the series does not exist yet.
   */
  value(name: string, labels?: Record<string, string>): Promise<number>;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const prefix = opts.prefix ?? 'parley_';
  const registry = new Registry();
  if (opts.defaultLabels !== undefined) registry.setDefaultLabels(opts.defaultLabels);
  if (opts.collectDefault ?? true) collectDefaultMetrics({ register: registry, prefix });
  const known = new Map<string, Registered>();

  function obtain<M extends Metric<string>>(
    kind: Kind,
    name: string,
    labelNames: readonly string[],
    create: (fullName: string) => M,
  ): M {
    const fullName = name.startsWith(prefix) ? name : `${prefix}${name}`;
    const existing = known.get(fullName);
    if (existing !== undefined) {
      if (existing.kind !== kind) {
        throw new TelemetryError(
          'metric-conflict',
          `metric ${fullName} is already registered as a ${existing.kind}, not a ${kind}`,
        );
      }
      if (!sameLabels(existing.labelNames, labelNames)) {
        throw new TelemetryError(
          'metric-conflict',
          `metric ${fullName} is already registered with labels [${existing.labelNames.join(', ')}], not [${labelNames.join(', ')}]`,
        );
      }
      return existing.metric as M;
    }
    if (registry.getSingleMetric(fullName) !== undefined) {
      throw new TelemetryError(
        'metric-conflict',
        `metric ${fullName} is already registered by the default collectors`,
      );
    }
    const metric = create(fullName);
    known.set(fullName, { kind, labelNames: [...labelNames], metric });
    return metric;
  }

  return {
    registry,
    prefix,
    contentType: registry.contentType,
    counter: (name, help, labelNames = []) =>
      obtain(
        'counter',
        name,
        labelNames,
        (n) => new AccumulatingCounter({ name: n, help, labelNames, registers: [registry] }),
      ),
    gauge: (name, help, labelNames = []) =>
      obtain(
        'gauge',
        name,
        labelNames,
        (n) => new Gauge({ name: n, help, labelNames, registers: [registry] }),
      ),
    histogram: (name, help, labelNames = [], buckets) =>
      obtain(
        'histogram',
        name,
        labelNames,
        (n) =>
          new Histogram({
            name: n,
            help,
            labelNames,
            registers: [registry],
            ...(buckets === undefined ? {} : { buckets: [...buckets] }),
          }),
      ),
    text: () => registry.metrics(),
    async value(name, labels = {}) {
      const metric = registry.getSingleMetric(name.startsWith(prefix) ? name : `${prefix}${name}`);
      if (metric === undefined) return 0;
      const { values } = await metric.get();
      const wanted = Object.entries(labels);
      const series = values.find((v) => wanted.every(([k, want]) => v.labels[k] === want));
      return series?.value ?? 0;
    },
  };
}

function sameLabels(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const sorted = [...b].sort();
  return [...a].sort().every((v, i) => v === sorted[i]);
}
