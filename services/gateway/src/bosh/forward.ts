/**
 * Requests for a BOSH session held by another gateway of the cluster: sent
 * to it as a bus request on `_INBOX.parley.bosh.<gatewayId>` (@parley/routing
 * `boshSubject`), answered with the body the owner would have written to
 * the HTTP response, possibly after holding it for the session's `wait`.
 */
import { BusError } from '@parley/bus';
import type { BusMessage, Subscription } from '@parley/bus';
import { BOSH_MESSAGES, boshSubject } from '@parley/routing';
import type { BoshForward, BoshForwardReply } from '@parley/routing';
import { terminate } from './protocol.js';
import type { BoshClient, BoshServiceDeps } from './service.js';
import type { Responder } from './session.js';

/** Longer than any hold, so that a held request is answered by its owner, not by the timeout. */
const FORWARD_MARGIN_MS = 10_000;

export function forwardRequest(
  deps: BoshServiceDeps,
  owner: string,
  text: string,
  client: BoshClient,
  res: Responder,
): void {
  const { bus, logger, config } = deps;
  const msg: BoshForward = { t: 'bosh-request', body: text, ip: client.ip, secure: client.secure };
  bus
    .request(boshSubject(owner), msg, { timeoutMs: config.bosh.maxWaitMs + FORWARD_MARGIN_MS })
    .then(
      (reply) => {
        const r = reply as Partial<BoshForwardReply> | undefined;
        if (r?.ok === true && typeof r.body === 'string') {
          res.respond(r.body);
          return;
        }
        logger.warn('BOSH request forwarding refused', { owner, reply });
        res.respond(terminate('remote-connection-failed'));
      },
      (err: unknown) => {
        // No responders: the owner is gone, and its sessions with it.
        const gone = err instanceof BusError && err.code === 'no-responders';
        logger.info('BOSH request forwarding failed', { owner, ip: client.ip, err });
        res.respond(terminate(gone ? 'item-not-found' : 'remote-connection-failed'));
      },
    );
}

/** Answers the requests other gateways forward to this one. */
export async function serveForwarded(
  deps: BoshServiceDeps,
  handle: (text: string, client: BoshClient, res: Responder) => void,
): Promise<Subscription> {
  const { bus, protocol, gatewayId, logger } = deps;
  const sub = bus.subscribe(boshSubject(gatewayId), (m: BusMessage) => {
    const req = protocol.decode(BOSH_MESSAGES, m);
    if (req === undefined) return;
    let answered = false;
    const reply = (data: unknown): void => {
      if (answered) return;
      answered = true;
      protocol.respond(m, data);
    };
    try {
      handle(
        req.body,
        {
          ip: req.ip,
          port: undefined,
          tls: false,
          secure: req.secure,
          host: undefined,
          forwarded: true,
        },
        {
          respond: (body) => reply({ ok: true, body } satisfies BoshForwardReply),
          abandon: () => reply({ ok: false, condition: 'other-request' }),
        },
      );
    } catch (err) {
      logger.error('forwarded BOSH request failed', { err });
      reply({ ok: true, body: terminate('internal-server-error') } satisfies BoshForwardReply);
    }
  });
  await bus.flush();
  return sub;
}
