/** Metrics of traffic shaping and of the queue bounds (docs/security.md, "Traffic shaping and queue bounds"). */
import type { Metrics } from '@parley/telemetry';

type Counter = ReturnType<Metrics['counter']>;
type CounterChild = ReturnType<Counter['labels']>;

export type ShaperStage = 'unauthenticated' | 'authenticated';
export type ShaperLimit = 'bytes' | 'stanzas';
/** Which bound closed a stream or ended a session. */
export type QueueBound = 'output' | 'sm-count' | 'sm-bytes';

const STAGES: readonly ShaperStage[] = ['unauthenticated', 'authenticated'];
const LIMITS: readonly ShaperLimit[] = ['bytes', 'stanzas'];
const BOUNDS: readonly QueueBound[] = ['output', 'sm-count', 'sm-bytes'];

export class ShapingMetrics {
  /** `parley_c2s_shaper_pauses_total{stage,limit}`. */
  private readonly pauses: Record<ShaperStage, Record<ShaperLimit, CounterChild>>;
  /** `parley_c2s_queue_overflows_total{bound}`. */
  private readonly overflows: Record<QueueBound, CounterChild>;

  constructor(metrics: Metrics) {
    const pauses = metrics.counter(
      'c2s_shaper_pauses_total',
      'Client streams paused by the traffic shaper (shaper.*) because they sent more bytes or stanzas than their bucket allowed, by stage (unauthenticated, authenticated) and limit (bytes, stanzas). Innocent clients should rarely appear here.',
      ['stage', 'limit'],
    );
    this.pauses = Object.fromEntries(
      STAGES.map((stage) => [
        stage,
        Object.fromEntries(
          LIMITS.map((limit) => {
            const child = pauses.labels({ stage, limit });
            child.inc(0);
            return [limit, child];
          }),
        ),
      ]),
    ) as Record<ShaperStage, Record<ShaperLimit, CounterChild>>;
    const overflows = metrics.counter(
      'c2s_queue_overflows_total',
      'Client streams closed with resource-constraint because a queue reached its bound: output (c2s.maxPendingOutputBytes, the client does not read), sm-count (sm.maxQueue) or sm-bytes (sm.maxQueueBytes) unacknowledged stanzas.',
      ['bound'],
    );
    this.overflows = Object.fromEntries(
      BOUNDS.map((bound) => {
        const child = overflows.labels({ bound });
        child.inc(0);
        return [bound, child];
      }),
    ) as Record<QueueBound, CounterChild>;
  }

  paused(stage: ShaperStage, limit: ShaperLimit): void {
    this.pauses[stage][limit].inc();
  }

  overflow(bound: QueueBound): void {
    this.overflows[bound].inc();
  }
}
