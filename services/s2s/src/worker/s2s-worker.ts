/**
 * The S2S worker: owns a share of the S2S partitions (remote domains and
 * component domains hash to them, like accounts to the registry's) and
 * hands every stanza for those domains to the server or component that
 * serves them, strictly in order per partition.
 *
 * - A component's domain (XEP-0114): to the component, on this node or on
 *   the node holding its connection; nobody holds it: service-unavailable.
 * - A remote domain: to the S2S engine, which writes it on the stream to
 *   that server (opening one first, queueing meanwhile). While a connection
 *   is being set up, the stanza is also kept in the pending store until it
 *   is written or bounced, so the next owner of the partition sends it if
 *   this worker dies: the queue moves with the partition.
 * - A stanza that cannot be delivered goes back to its local sender as an
 *   error (remote-server-not-found, remote-server-timeout, ...): messages,
 *   IQs and subscription requests; other presence is dropped, as a contact
 *   on an unreachable server simply stays offline.
 */
import type { Bus, BusMessage, OrderedConsumer } from '@parley/bus';
import { StaticOwnership } from '@parley/cluster';
import type { PartitionOwnership } from '@parley/cluster';
import type { Config } from '@parley/config';
import { tryParseJID } from '@parley/jid';
import {
  BusProtocol,
  S2S_MESSAGES,
  envelopeOf,
  inboundRoutes,
  partitionOf,
  publishInbound,
  s2sConsumerName,
  s2sPartitionPattern,
  versionedBus,
} from '@parley/routing';
import type { Envelope, InboundRoutes } from '@parley/routing';
import {
  NS_CLIENT,
  NS_SERVER,
  StanzaError,
  canReplyWithError,
  errorReply,
  remoteServerNotFound,
  restampStanza,
  serviceUnavailable,
} from '@parley/stanza';
import type { StanzaErrorCondition } from '@parley/stanza';
import type { Logger, Metrics } from '@parley/telemetry';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { MemoryPendingStore } from './pending-store.js';
import type { PendingEntry, PendingStore } from './pending-store.js';

/** The remote servers, as the worker needs them (the S2S engine). */
export interface RemoteServers {
  send(from: string, to: string, xml: string): Promise<void>;
  connected(from: string, to: string): boolean;
}

/** The components, as the worker needs them (XEP-0114). */
export interface ComponentRoutes {
  deliver(env: Envelope): Promise<'delivered' | 'not-connected'>;
}

export interface S2sWorkerOptions {
  bus: Bus;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  remote: RemoteServers;
  components?: ComponentRoutes;
  /** Default: every partition, always (single node). */
  ownership?: PartitionOwnership;
  /** Default: in memory (single node). */
  pending?: PendingStore;
}

export interface S2sWorker {
  readonly partitions: number[];
  readonly ready: Promise<void>;
  /** Hands a stanza from a remote server or a component on to its local recipient. */
  inbound(el: Element): void;
  /** Resolves once every queued bus message has been handled (tests). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** How long bus copies of stanzas taken over from a pending queue are recognized. */
const REPLAY_WINDOW_MS = 60_000;

/** A stanza from the bus (jabber:client) as written on a server-to-server stream. */
function serverStanza(xml: string): string {
  return restampStanza(xml, NS_SERVER) ?? xml;
}

/** The condition a failed delivery is bounced with (an S2S engine error carries one). */
function conditionOf(err: unknown): StanzaErrorCondition {
  const c = (err as { condition?: unknown } | null)?.condition;
  return typeof c === 'string' ? (c as StanzaErrorCondition) : 'remote-server-not-found';
}

export function startS2sWorker(opts: S2sWorkerOptions): S2sWorker {
  const { config, logger, metrics, remote } = opts;
  const bus = versionedBus(opts.bus);
  const protocol = new BusProtocol({ metrics, logger });
  const routes: InboundRoutes = inboundRoutes(config);
  const pending = opts.pending ?? new MemoryPendingStore();
  const partitions = config.s2s.partitions;
  const allow = new Set(config.s2s.allow);
  const deny = new Set(config.s2s.deny);

  const outbound = metrics.counter(
    'parley_s2s_outbound_stanzas_total',
    'Stanzas for remote servers and components, by result (sent, bounced) and kind.',
    ['result', 'kind'],
  );
  const inboundCount = metrics.counter(
    'parley_s2s_inbound_stanzas_total',
    'Stanzas from remote servers and components handed to local routing, by kind.',
    ['kind'],
  );
  const pendingGauge = metrics.gauge(
    'parley_s2s_pending_stanzas',
    'Stanzas kept while a connection to a remote server is set up.',
  );
  let pendingCount = 0;
  let seq = 0;
  const nextSeq = (): number => Date.now() * 1000 + (seq++ % 1000);

  /** Sends an error for `env` back to its local sender. */
  const bounce = (env: Envelope, condition: StanzaErrorCondition, text?: string): void => {
    outbound.inc({ result: 'bounced', kind: env.kind });
    if (env.kind === 'presence' && env.type !== 'subscribe') return;
    let stanza: Element;
    try {
      stanza = parseXml(env.xml);
    } catch {
      return;
    }
    if (!canReplyWithError(stanza)) return;
    const err =
      condition === 'remote-server-not-found'
        ? remoteServerNotFound(text)
        : new StanzaError(condition, { text });
    const reply = envelopeOf(errorReply(stanza, err), 'in');
    const to = tryParseJID(reply.to);
    if (!to) return;
    publishInbound(bus, reply, to.toBareString(), to.domain, routes).catch((e: unknown) =>
      logger.warn('s2s: bounce not routed', { to: reply.to, err: e }),
    );
  };

  const allowed = (domain: string): boolean =>
    !deny.has(domain) && (allow.size === 0 || allow.has(domain));

  /** Writes to a remote server; a stanza not written at once is kept in `pending` until it is. */
  const toRemote = async (p: number, env: Envelope, from: string, to: string): Promise<void> => {
    if (remote.connected(from, to)) {
      remote.send(from, to, serverStanza(env.xml)).then(
        () => outbound.inc({ result: 'sent', kind: env.kind }),
        (err: unknown) => bounce(env, conditionOf(err), (err as Error).message),
      );
      return;
    }
    const entry: PendingEntry = {
      id: `${seq}-${Math.random().toString(36).slice(2, 10)}`,
      seq: nextSeq(),
      domain: to,
      env,
    };
    await pending.add(p, entry);
    pendingGauge.set(++pendingCount);
    sendPending(p, entry, from);
  };

  const sendPending = (p: number, entry: PendingEntry, from: string): void => {
    const done = (): void => {
      pendingGauge.set(--pendingCount);
      pending
        .remove(p, entry.id)
        .catch((err: unknown) => logger.warn('s2s: pending entry not removed', { err }));
    };
    remote.send(from, entry.domain, serverStanza(entry.env.xml)).then(
      () => {
        outbound.inc({ result: 'sent', kind: entry.env.kind });
        done();
      },
      (err: unknown) => {
        bounce(entry.env, conditionOf(err), (err as Error).message);
        done();
      },
    );
  };

  /**
   * Per partition, the stanzas taken over from the previous owner's pending
   * queue (by serialized stanza, with a count): a worker killed between
   * keeping a stanza and confirming its bus message leaves it in both
   * places, and the bus hands it over again right after the queue. That
   * second copy is dropped. Forgotten after REPLAY_WINDOW_MS.
   */
  const replayed = new Map<number, Map<string, number>>();
  const isReplayed = (p: number, xml: string): boolean => {
    const seen = replayed.get(p);
    const n = seen?.get(xml);
    if (seen === undefined || n === undefined) return false;
    if (n > 1) seen.set(xml, n - 1);
    else seen.delete(xml);
    return true;
  };

  const handle = async (p: number, msg: BusMessage): Promise<void> => {
    const m = protocol.decode(S2S_MESSAGES, msg);
    if (m === undefined) return;
    const env = m.env;
    if (isReplayed(p, env.xml)) {
      logger.info('s2s: dropped the bus copy of a stanza taken over from the pending queue', {
        partition: p,
        to: env.to,
      });
      return;
    }
    const from = tryParseJID(env.from);
    const to = tryParseJID(env.to);
    if (!from || !to) return;
    if (routes.components.has(to.domain)) {
      const result = opts.components
        ? await opts.components.deliver(env).catch((err: unknown) => {
            logger.warn('s2s: component delivery failed', { to: env.to, err });
            return 'not-connected' as const;
          })
        : 'not-connected';
      if (result === 'delivered') outbound.inc({ result: 'sent', kind: env.kind });
      else bounce(env, 'service-unavailable', 'The component is not connected');
      return;
    }
    if (!config.s2s.enabled || !allowed(to.domain)) {
      bounce(env, 'remote-server-not-found');
      return;
    }
    await toRemote(p, env, from.domain, to.domain);
  };

  const consumers = new Map<number, OrderedConsumer>();
  const onError = (err: unknown): void => logger.error('s2s job failed', { err });
  const ownership = opts.ownership ?? new StaticOwnership(partitions);
  const ready = ownership.start({
    acquire: async (p) => {
      // What the previous owner took but never wrote goes first, in its order.
      const seen = new Map<string, number>();
      for (const entry of await pending.load(p)) {
        const from = tryParseJID(entry.env.from);
        if (!from) {
          await pending.remove(p, entry.id);
          continue;
        }
        seen.set(entry.env.xml, (seen.get(entry.env.xml) ?? 0) + 1);
        pendingGauge.set(++pendingCount);
        sendPending(p, entry, from.domain);
      }
      if (seen.size > 0) {
        replayed.set(p, seen);
        setTimeout(() => {
          if (replayed.get(p) === seen) replayed.delete(p);
        }, REPLAY_WINDOW_MS).unref();
      }
      const c = await opts.bus.consumeOrdered(s2sPartitionPattern(p), s2sConsumerName(p), (msg) =>
        handle(p, msg).catch(onError),
      );
      consumers.set(p, c);
      logger.debug('s2s partition acquired', { partition: p });
    },
    release: async (p) => {
      await consumers.get(p)?.stop();
      consumers.delete(p);
      replayed.delete(p);
      logger.debug('s2s partition released', { partition: p });
    },
  });

  return {
    get partitions() {
      return ownership.owned();
    },
    ready,
    inbound(el: Element): void {
      // On the bus every stanza is in jabber:client, whatever stream it came on.
      el.setAttr('xmlns', NS_CLIENT);
      const env = envelopeOf(el, 'in');
      const to = tryParseJID(env.to);
      if (!to) return;
      inboundCount.inc({ kind: env.kind });
      publishInbound(bus, env, to.toBareString(), to.domain, routes).catch((err: unknown) => {
        logger.warn('s2s: inbound stanza not routed', { to: env.to, err });
        if (canReplyWithError(el)) {
          // The sender is remote: the error goes back through the S2S partitions.
          const reply = envelopeOf(errorReply(el, serviceUnavailable()), 'in');
          const back = tryParseJID(reply.to);
          if (back)
            publishInbound(bus, reply, back.toBareString(), back.domain, routes).catch(
              () => undefined,
            );
        }
      });
    },
    idle: async () => {
      await ready;
      await Promise.all([...consumers.values()].map((c) => c.idle()));
    },
    close: async () => {
      await ready.catch(() => undefined);
      await ownership.stop();
    },
  };
}

/** The S2S partition of a domain (for tests and tools). */
export function s2sPartitionOf(domain: string, partitions: number): number {
  return partitionOf(domain, partitions);
}
