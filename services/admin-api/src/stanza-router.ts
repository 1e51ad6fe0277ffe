/**
 * Puts stanzas on the bus exactly as the session registry does: stage 'in'
 * to the recipient's partition (a registry or MUC partition), or stage
 * 'out' at a local sender's partition, as if its client had sent it (then
 * carbons and the sender's archive see it too).
 */
import {
  envelopeOf,
  inboundRoutes,
  inboundSubject,
  publishInbound,
  routeSubject,
} from '@parley/routing';
import type { Envelope, InboundRoutes, RegistryMessage } from '@parley/routing';
import { tryParseJID } from '@parley/jid';
import type { Element } from '@parley/xml';
import type { AdminDeps } from './deps.js';
import { badRequest } from './problem.js';

export class StanzaRouter {
  private readonly routes: InboundRoutes;

  constructor(private readonly deps: AdminDeps) {
    this.routes = inboundRoutes(deps.config);
  }

  /** Whether `bare` is on one of the served domains (a local account's JID). */
  isLocal(domain: string): boolean {
    return this.deps.config.server.domains.includes(domain);
  }

  /** Routes `el` (with from and to set) to its recipient. */
  async send(el: Element, stage: 'in' | 'out' = 'in'): Promise<Envelope> {
    const env = envelopeOf(el, stage);
    const from = tryParseJID(env.from);
    const to = env.to === '' && stage === 'out' ? undefined : tryParseJID(env.to);
    if (!from || (!to && stage === 'in'))
      throw badRequest('the stanza needs valid from and to addresses');
    if (stage === 'out') {
      if (!from.local || !this.isLocal(from.domain))
        throw badRequest('only a local user can send a stanza on its own behalf');
      const msg: RegistryMessage = { t: 'stanza', env };
      await this.deps.bus.publishDurable(
        routeSubject(from.toBareString(), this.deps.config.routing.partitions),
        msg,
      );
      return env;
    }
    if (inboundSubject(to!.toBareString(), to!.domain, this.routes) === undefined)
      throw badRequest(
        `no route to the domain ${to!.domain} (federation is off or it is not allowed)`,
      );
    await publishInbound(this.deps.bus, env, to!.toBareString(), to!.domain, this.routes);
    return env;
  }
}
