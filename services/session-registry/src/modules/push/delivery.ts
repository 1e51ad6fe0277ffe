/**
 * The push service's deliveries: one sender per configured app (FCM or
 * APNs, @parley/push), a cap on pushes in flight, dead tokens forgotten,
 * and the metrics of it all.
 */
import type { Config, PushAppConfig } from '@parley/config';
import { openSender } from '@parley/push';
import type { DeliveryResult, PushSender, RetryDeps } from '@parley/push';
import type { PushDevice, PushDeviceStore } from '@parley/store';
import type { Logger, Metrics } from '@parley/telemetry';

export type DeliveryOutcome = DeliveryResult['kind'] | 'no-app';

export class Deliveries {
  private readonly senders = new Map<string, PushSender>();
  private inFlight = 0;
  private readonly outcomes;
  private readonly attempts;
  private readonly gauge;

  constructor(
    private readonly config: Config,
    private readonly devices: PushDeviceStore,
    private readonly logger: Logger,
    metrics: Metrics,
    deps: RetryDeps = {},
  ) {
    const s = config.push.service;
    for (const app of s.apps)
      this.senders.set(
        app.id,
        openSender(
          app,
          {
            timeoutMs: s.requestTimeoutMs,
            retry: {
              maxAttempts: s.maxAttempts,
              baseDelayMs: s.retryBaseMs,
              maxDelayMs: s.retryMaxMs,
            },
          },
          deps,
        ),
      );
    this.outcomes = metrics.counter(
      'push_deliveries_total',
      'Pushes the push service delivered to FCM or APNs, by app, provider and outcome (ok, dead token, failed).',
      ['app', 'provider', 'outcome'],
    );
    this.attempts = metrics.counter(
      'push_provider_requests_total',
      'Requests made to FCM or APNs (attempts, retries included), by app.',
      ['app'],
    );
    this.gauge = metrics.gauge(
      'push_deliveries_in_flight',
      'Pushes being delivered (retries included).',
    );
  }

  app(id: string): PushAppConfig | undefined {
    return this.senders.get(id)?.app;
  }

  /** Whether another push may start now (push.service.maxInFlight). */
  hasRoom(): boolean {
    return this.inFlight < this.config.push.service.maxInFlight;
  }

  /**
   * Delivers one push to a device; a dead token removes the device. Never
   * throws: a failure is an outcome.
   */
  async deliver(device: PushDevice): Promise<DeliveryOutcome> {
    const sender = this.senders.get(device.app);
    if (sender === undefined) {
      this.logger.warn('push for a device of an app no longer configured', { app: device.app });
      return 'no-app';
    }
    this.inFlight++;
    this.gauge.inc();
    try {
      const r = await sender.send(device.token, { account: device.device });
      this.attempts.inc({ app: device.app }, r.attempts);
      this.outcomes.inc({ app: device.app, provider: sender.app.type, outcome: r.kind });
      if (r.kind === 'dead') {
        await this.devices.delete(device.service, device.node);
        this.logger.info('push token is no longer valid; device removed', {
          app: device.app,
          reason: r.reason,
        });
      } else if (r.kind === 'failed')
        this.logger.warn('push delivery failed', {
          app: device.app,
          status: r.status,
          reason: r.reason,
          attempts: r.attempts,
        });
      return r.kind;
    } catch (err) {
      this.outcomes.inc({ app: device.app, provider: sender.app.type, outcome: 'failed' });
      this.logger.error('push delivery failed', { app: device.app, err });
      return 'failed';
    } finally {
      this.inFlight--;
      this.gauge.dec();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.senders.values()].map((s) => s.close().catch(() => undefined)));
  }
}
