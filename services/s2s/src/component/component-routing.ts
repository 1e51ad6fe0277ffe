/**
 * External components (XEP-0114) on the bus: the same code in the
 * all-in-one process (MemoryBus) and in a cluster (NATS).
 *
 * - To a component: stanzas for a component's domain reach the S2S
 *   partition of the domain (libs/routing inbound.ts); its owner calls
 *   {@link Components.deliver}, which writes the stanza to the component if
 *   it is connected to this node, and otherwise asks the node holding it by
 *   a bus request on `componentSubject(domain)` (`xmpp.comp.<token>`, a
 *   `{ t: 'stanza', env }` answered `{ ok }`). Nobody answering (no
 *   responders, or no answer in time) is 'not-connected': the caller
 *   bounces the stanza with service-unavailable.
 * - The node holding a component subscribes its subject before the
 *   component's `<handshake/>` is answered (and the subscription is flushed
 *   to the bus), so a component that sees its handshake accepted is
 *   reachable from every node. The subscription is in a queue group: should
 *   two nodes hold the same component (each node refuses only a second
 *   local connection), each stanza still goes to exactly one of them.
 * - From a component: each stanza is published as stage 'in' to the
 *   partition of its recipient like any inbound stanza (users and services
 *   of the served domains, MUC rooms, other components, remote domains when
 *   federation is on); an unreachable domain is answered with
 *   remote-server-not-found.
 */
import { BusError } from '@parley/bus';
import type { Bus, BusMessage, Subscription } from '@parley/bus';
import type { Config } from '@parley/config';
import { bareOf, domainOf } from '@parley/jid';
import {
  BusProtocol,
  COMPONENT_MESSAGES,
  UnreachableDomainError,
  componentSubject,
  envelopeOf,
  inboundRoutes,
  publishInbound,
  versionedBus,
} from '@parley/routing';
import type { Envelope, S2sMessage } from '@parley/routing';
import {
  canReplyWithError,
  errorReply,
  internalServerError,
  remoteServerNotFound,
} from '@parley/stanza';
import type { StanzaError } from '@parley/stanza';
import type { Logger, Metrics } from '@parley/telemetry';
import type { Element } from '@parley/xml';
import { ComponentServer } from './component-server.js';

/** How long deliver() waits for the node holding a component to take a stanza. */
export const COMPONENT_REQUEST_TIMEOUT_MS = 5_000;
/** Queue group of the component subjects (see the file comment). */
export const COMPONENT_QUEUE = 'component';

export interface ComponentsDeps {
  bus: Bus;
  config: Config;
  logger: Logger;
  metrics: Metrics;
  /** Listen on this port instead of components.port (0: an ephemeral port; tests). */
  portOverride?: number;
}

export interface Components {
  /** The component listener's port; undefined when components.port is 0 and no override was given. */
  readonly port: number | undefined;
  /**
   * Hands a stanza (stage in, to a component domain) to the component: here
   * if connected here, else by bus request on componentSubject(domain) to
   * the node holding it. 'not-connected' when nobody holds it (the caller
   * bounces service-unavailable).
   */
  deliver(env: Envelope): Promise<'delivered' | 'not-connected'>;
  /** Whether the component of `domain` is connected to this node. */
  connectedHere(domain: string): boolean;
  stop(): Promise<void>;
}

/** The reply to a component request. */
interface DeliverReply {
  ok: boolean;
}

function isOk(reply: unknown): boolean {
  return (
    typeof reply === 'object' && reply !== null && (reply as Partial<DeliverReply>).ok === true
  );
}

export async function startComponents(deps: ComponentsDeps): Promise<Components> {
  const { config, logger, metrics } = deps;
  const bus = versionedBus(deps.bus);
  const protocol = new BusProtocol({ metrics, logger });
  const routes = inboundRoutes(config);
  const subscriptions = new Map<string, Subscription>();
  let stopped = false;

  const listening = deps.portOverride !== undefined || config.components.port !== 0;
  let server: ComponentServer | undefined;

  /** A stanza for `domain` arrived from another node (bus request). */
  const onRequest = (domain: string, msg: BusMessage): void => {
    const m = protocol.decode(COMPONENT_MESSAGES, msg);
    if (m === undefined) return;
    const ok = server?.send(domain, m.env.xml) ?? false;
    protocol.respond(msg, { ok } satisfies DeliverReply);
  };

  const answer = (el: Element, domain: string, err: StanzaError): void => {
    if (!canReplyWithError(el)) return;
    server?.send(domain, errorReply(el, err).toString());
  };

  const onStanza = (el: Element, domain: string): void => {
    const env = envelopeOf(el, 'in');
    env.ts = performance.timeOrigin + performance.now();
    publishInbound(bus, env, bareOf(env.to), domainOf(env.to), routes).catch((err: unknown) => {
      if (err instanceof UnreachableDomainError) {
        answer(el, domain, remoteServerNotFound(`no route to ${err.domain}`));
        return;
      }
      logger.warn('could not route a stanza from a component', {
        domain,
        to: env.to,
        kind: env.kind,
        err,
      });
      answer(
        el,
        domain,
        internalServerError('the stanza could not be routed', { type: 'wait', by: domain }),
      );
    });
  };

  if (listening) {
    server = new ComponentServer({
      config: config.components,
      logger,
      metrics,
      maxStanzaBytes: config.s2s.maxStanzaBytes,
      onStanza,
      onConnected: async (domain) => {
        if (stopped) throw new Error('components are stopping');
        subscriptions.get(domain)?.unsubscribe();
        subscriptions.set(
          domain,
          bus.subscribe(componentSubject(domain), (msg) => onRequest(domain, msg), {
            queue: COMPONENT_QUEUE,
          }),
        );
        // Registered with the bus before the component hears it is connected.
        await bus.flush();
      },
      onDisconnected: (domain) => {
        subscriptions.get(domain)?.unsubscribe();
        subscriptions.delete(domain);
        // Soon no responders rather than requests that time out at this node.
        bus.flush().catch(() => undefined);
      },
    });
  }
  const port = server === undefined ? undefined : await server.listen(deps.portOverride);
  if (server !== undefined && config.components.list.length === 0) {
    logger.warn('the component port is open but components.list is empty');
  }

  const deliver = async (env: Envelope): Promise<'delivered' | 'not-connected'> => {
    const domain = domainOf(env.to);
    if (domain === '') return 'not-connected';
    if (server?.send(domain, env.xml) === true) return 'delivered';
    const msg: S2sMessage = { t: 'stanza', env };
    try {
      const reply = await bus.request(componentSubject(domain), msg, {
        timeoutMs: COMPONENT_REQUEST_TIMEOUT_MS,
      });
      return isOk(reply) ? 'delivered' : 'not-connected';
    } catch (err) {
      if (err instanceof BusError && (err.code === 'no-responders' || err.code === 'timeout')) {
        return 'not-connected';
      }
      throw err;
    }
  };

  return {
    port,
    deliver,
    connectedHere: (domain) => server?.connected(domain) ?? false,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await server?.close();
      for (const sub of subscriptions.values()) sub.unsubscribe();
      subscriptions.clear();
    },
  };
}
