import type { Bus, Subscription } from '@parley/bus';
import { BusError } from '@parley/bus';

/**
 * Fast death detection over NATS. Every cluster process answers requests on
 * its liveness subject `_INBOX.parley.alive.<role>.<id>` (an `_INBOX`
 * subject: every Parley user may publish and subscribe there, and no
 * JetStream stream captures it). A request to a process whose NATS
 * connection is gone (SIGKILL, crash, network cut) fails at once with
 * "no responders": the NATS server knows nobody subscribes. That says in
 * a millisecond what a heartbeat says only after its TTL, so the process's
 * partitions can move (and a dead gateway's deliveries be drained) within a
 * second. A slow process (busy event loop) still answers late or times out,
 * which proves nothing: only "no responders" counts as gone.
 */
export class BusLiveness {
  constructor(private readonly bus: Bus) {}

  static subject(role: string, id: string): string {
    return `_INBOX.parley.alive.${role}.${id}`;
  }

  /** Answers liveness requests for `id`; resolves once the subscription reached the server. */
  async serve(role: string, id: string): Promise<Subscription> {
    const sub = this.bus.subscribe(BusLiveness.subject(role, id), (msg) => msg.respond?.({}));
    await this.bus.flush();
    return sub;
  }

  /** True only when NATS says nobody answers for `id` (its process is gone). */
  async gone(role: string, id: string, timeoutMs = 1000): Promise<boolean> {
    try {
      await this.bus.request(BusLiveness.subject(role, id), {}, { timeoutMs });
      return false;
    } catch (err) {
      return err instanceof BusError && err.code === 'no-responders';
    }
  }
}
