/**
 * A test double for the session registry: answers bind requests on the
 * partition subjects and records everything published there. Only what the
 * gateway tests need; the real registry is services/session-registry.
 */
import type { Bus, BusMessage, Subscription } from '@parley/bus';
import type { BindReply, BindRequest, RegistryMessage } from '@parley/routing';

export interface Recorded {
  subject: string;
  msg: RegistryMessage;
}

export class FakeRegistry {
  readonly received: Recorded[] = [];
  /** Full JIDs that answer `conflict` when bound. */
  readonly taken = new Set<string>();
  /** Delay before answering bind requests (to test races with disconnects). */
  bindDelayMs = 0;
  private generated = 0;
  private readonly sub: Subscription;
  private waiters: Array<() => void> = [];

  constructor(bus: Bus) {
    this.sub = bus.subscribe('xmpp.r.>', (m) => this.onMessage(m));
  }

  /** The disco#info `server-info` answers with (XEP-0115 caps in the stream features). */
  serverInfo = `<query xmlns="http://jabber.org/protocol/disco#info"><identity category="server" type="im" name="Parley"/><feature var="http://jabber.org/protocol/disco#info"/><feature var="urn:xmpp:ping"/></query>`;

  private onMessage(m: BusMessage): void {
    const msg = m.data as RegistryMessage;
    if (msg.t === 'server-info') {
      // Asked by every gateway at start: answered, not recorded.
      m.respond?.({ ok: true, xml: this.serverInfo });
      return;
    }
    this.received.push({ subject: m.subject, msg });
    if (msg.t === 'bind' && m.respond) {
      const respond = m.respond;
      const reply = this.bind(msg);
      if (this.bindDelayMs > 0) setTimeout(() => respond(reply), this.bindDelayMs);
      else respond(reply);
    }
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private bind(req: BindRequest): BindReply {
    const resource = req.resource ?? `gen${++this.generated}`;
    const full = `${req.jid}/${resource}`;
    if (this.taken.has(full)) return { ok: false, condition: 'conflict' };
    return { ok: true, jid: full };
  }

  of<T extends RegistryMessage['t']>(
    t: T,
  ): Array<Extract<RegistryMessage, { t: T }> & { subject: string }> {
    return this.received
      .filter((r) => r.msg.t === t)
      .map((r) => ({ ...(r.msg as Extract<RegistryMessage, { t: T }>), subject: r.subject }));
  }

  /** Resolves with the first recorded message matching `pred` (waiting for it if needed). */
  async waitFor<T extends RegistryMessage['t']>(
    t: T,
    pred: (m: Extract<RegistryMessage, { t: T }>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Extract<RegistryMessage, { t: T }> & { subject: string }> {
    // performance.now(): a test that fakes Date still gets its timeout.
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const found = this.of(t).find((m) => pred(m));
      if (found) return found;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`no '${t}' message arrived within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  close(): void {
    this.sub.unsubscribe();
  }
}
