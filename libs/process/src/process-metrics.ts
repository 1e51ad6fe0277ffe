/**
 * Prometheus metrics for the infrastructure a process talks to: the durable
 * bus path and every store operation (LMDB, Cassandra, memory, Redis).
 */
import type { BusObserver } from '@parley/bus';
import type { StoreObserver } from '@parley/store';
import type { Metrics } from '@parley/telemetry';

const LATENCY_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
];

/** `parley_bus_publish_seconds{result}` and `parley_bus_consume_seconds`. */
export function busObserver(metrics: Metrics): BusObserver {
  const published = metrics.histogram(
    'bus_publish_seconds',
    'Durable bus publishes: time until JetStream acknowledged (or refused) the message.',
    ['result'],
    LATENCY_BUCKETS,
  );
  const ok = published.labels({ result: 'ok' });
  const failed = published.labels({ result: 'error' });
  const consumed = metrics.histogram(
    'bus_consume_seconds',
    'Durable bus messages: time the consumer spent handling one.',
    [],
    LATENCY_BUCKETS,
  );
  return {
    published: (seconds, success) => (success ? ok : failed).observe(seconds),
    consumed: (seconds) => consumed.observe(seconds),
  };
}

/**
 * `parley_store_operation_seconds{backend,store,op}` and
 * `parley_store_errors_total{backend,store,op}`.
 */
export function storeObserver(metrics: Metrics, backend: string): StoreObserver {
  const seconds = metrics.histogram(
    'store_operation_seconds',
    'Storage operations by backend (lmdb, cassandra, memory, redis), store and method.',
    ['backend', 'store', 'op'],
    LATENCY_BUCKETS,
  );
  const errors = metrics.counter(
    'store_errors_total',
    'Storage operations that failed, by backend, store and method.',
    ['backend', 'store', 'op'],
  );
  return (store, op, s, ok) => {
    const labels = { backend, store, op };
    seconds.observe(labels, s);
    if (!ok) errors.inc(labels);
  };
}
