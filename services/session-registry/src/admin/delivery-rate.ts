import type { Metrics } from '@parley/telemetry';

const SAMPLE_MS = 5000;
/** Samples kept: one minute of history. */
const SAMPLES = 13;

/**
 * Messages handed to gateways per second, over the last minute, from the
 * registry's `parley_router_delivered_total{kind="message"}` counter (the
 * admin API's stats). Sampled every 5 s on an unref'd timer.
 */
export class DeliveryRate {
  private readonly samples: Array<{ t: number; n: number }> = [];
  private readonly timer: NodeJS.Timeout;
  private current = 0;

  constructor(metrics: Metrics) {
    const counter = metrics.counter(
      'parley_router_delivered_total',
      'Stanzas handed to a gateway for delivery',
      ['kind'],
    );
    const sample = async () => {
      const { values } = await counter.get();
      this.current = values.find((v) => v.labels['kind'] === 'message')?.value ?? 0;
      this.samples.push({ t: Date.now(), n: this.current });
      if (this.samples.length > SAMPLES) this.samples.shift();
    };
    void sample();
    this.timer = setInterval(() => void sample(), SAMPLE_MS);
    this.timer.unref();
  }

  perSecond(): number {
    const first = this.samples[0];
    const last = this.samples[this.samples.length - 1];
    if (!first || !last || last.t === first.t) return 0;
    return Math.round(((last.n - first.n) * 1000 * 100) / (last.t - first.t)) / 100;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
