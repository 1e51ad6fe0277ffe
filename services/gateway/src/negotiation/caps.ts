/**
 * XEP-0115 Entity Capabilities of the server, for the stream features
 * (XEP-0115 section 6.3): `<c xmlns='http://jabber.org/protocol/caps'
 * hash='sha-1' node=... ver=.../>`, where `ver` is the verification string
 * of section 5.1 over the disco#info a client would get from the domain.
 *
 * The gateway does not know the server's features (the session registry's
 * modules do): it asks a registry worker for the domain's disco#info
 * (`server-info`, libs/routing) at start and every minute (every second
 * while it has no answer yet), and offers the
 * caps once it has an answer. Until then, or when no worker answers, the
 * features carry no caps, which clients handle as a server without them.
 */
import { routeSubject } from '@parley/routing';
import type { ServerInfoReply, ServerInfoRequest } from '@parley/routing';
import { NS_CAPS, NS_DISCO_INFO, capsVer } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { GatewayContext } from '../context.js';

/** The software the caps name (XEP-0115 'node': a URI of the application). */
export const CAPS_NODE = 'https://parley.invalid/caps';

/** How often the disco#info of each domain is asked for again. */
export const CAPS_REFRESH_MS = 60_000;
/** How soon it is asked again while some domain has no caps yet (a registry still starting). */
const CAPS_RETRY_MS = 1_000;
const REQUEST_TIMEOUT_MS = 5_000;

/** The caps of each served domain, as last learned from a registry worker. */
export class ServerCaps {
  private readonly byDomain = new Map<string, Element>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;

  constructor(
    private readonly ctx: Pick<GatewayContext, 'bus' | 'config' | 'logger' | 'domains'>,
  ) {}

  /** The `<c/>` feature for `domain`, once known. */
  feature(domain: string): Element | undefined {
    return this.byDomain.get(domain);
  }

  /** Asks now, then every CAPS_REFRESH_MS (every CAPS_RETRY_MS while a domain has none). */
  start(): void {
    this.stopped = false;
    const cycle = (): void => {
      void this.refresh().then(() => {
        if (this.stopped) return;
        const missing = [...this.ctx.domains].some((d) => !this.byDomain.has(d));
        this.timer = setTimeout(cycle, missing ? CAPS_RETRY_MS : CAPS_REFRESH_MS);
        this.timer.unref();
      });
    };
    cycle();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async refresh(): Promise<void> {
    await Promise.all([...this.ctx.domains].map((d) => this.ask(d)));
  }

  private async ask(domain: string): Promise<void> {
    const { bus, config, logger } = this.ctx;
    const request: ServerInfoRequest = { t: 'server-info', domain };
    let reply: ServerInfoReply;
    try {
      reply = (await bus.request(routeSubject(domain, config.routing.partitions), request, {
        timeoutMs: REQUEST_TIMEOUT_MS,
        // The registry consumes route subjects through its durable, ordered consumers.
        durable: true,
      })) as ServerInfoReply;
    } catch (err) {
      logger.debug('no server-info answer; stream features go without caps for now', {
        domain,
        err,
      });
      return;
    }
    if (!reply.ok || typeof reply.xml !== 'string') return;
    let query: Element;
    try {
      query = parseXml(reply.xml);
    } catch (err) {
      logger.warn('server-info answer is not XML', { domain, err });
      return;
    }
    if (!query.is('query', NS_DISCO_INFO)) return;
    let ver: string;
    try {
      ver = capsVer(query);
    } catch (err) {
      logger.warn('server disco#info cannot be hashed (XEP-0115 5.4)', { domain, err });
      return;
    }
    if (this.byDomain.get(domain)?.attr('ver') === ver) return;
    this.byDomain.set(domain, xml('c', { xmlns: NS_CAPS, hash: 'sha-1', node: CAPS_NODE, ver }));
    logger.info('server caps', { domain, ver });
  }
}
