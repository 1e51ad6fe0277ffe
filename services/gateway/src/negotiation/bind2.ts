/**
 * Bind 2 (XEP-0386) inside a SASL2 <authenticate/>: the resource is
 * generated (`<tag>/<id>`), bound through the registry like any bind, and
 * the features the client asked for inline are enabled before the
 * <success/> that reports them in <bound/>:
 *
 * - `<enable xmlns='urn:xmpp:sm:3'/>`: XEP-0198 is enabled for the new
 *   session (the <enabled/> or <failed/> goes into <bound/>);
 * - `<enable xmlns='urn:xmpp:carbons:2'/>`: the same IQ a client sends to
 *   enable carbons (XEP-0280) goes to the registry on the client's behalf,
 *   right after the bind on the same partition, so no message is routed in
 *   between; its answer is not written to the client;
 * - `<active/>`, `<inactive/>` (XEP-0352): the session starts in that state.
 *
 * The id part of the resource is stable per client: an HMAC of the account,
 * the tag and the SASL2 user-agent id under a key of the gateways (so the
 * user-agent id never shows); a client without a user-agent id gets a
 * random one. A client that logs in again gets its old resource, and the
 * registry replaces the earlier session (conflict), as XEP-0386 asks.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { normalizeResourcepart } from '@parley/jid';
import { NS_BIND2, NS_CARBONS, NS_CSI, NS_SM } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { Connection } from '../connection.js';
import { routeOutbound } from '../relay/outbound.js';
import { enableSession } from '../sm/protocol.js';
import { requestBind } from './bind.js';

export const BIND2_KEY_LABEL = 'parley Bind2 resource key v1';

/** Longest client tag kept in a resource (the rest is cut). */
const MAX_TAG = 64;

/** The resource Bind2 binds for this client. */
export function bind2Resource(
  key: Buffer,
  user: string,
  tag: string | undefined,
  userAgentId: string | undefined,
): string {
  const id =
    userAgentId === undefined
      ? randomBytes(9).toString('base64url')
      : createHmac('sha256', key)
          .update([user, tag ?? '', userAgentId].join('\0'))
          .digest('base64url')
          .slice(0, 12);
  return tag === undefined ? id : `${tag}/${id}`;
}

/** The client's tag, if it is a usable resource prefix. */
function cleanTag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const trimmed = raw.trim().slice(0, MAX_TAG);
  if (trimmed === '') return undefined;
  try {
    return normalizeResourcepart(trimmed);
  } catch {
    return undefined;
  }
}

/** A bound session, waiting for its <success/> to be written before stanzas flow. */
export interface Bind2Result {
  jid: string;
  /** The <bound/> element for the success. */
  bound: Element;
  /** Run right after the success: the stream is bound, inline carbons are requested. */
  after(): void;
}

/**
 * Binds a resource for the <bind/> of an authenticate request and enables
 * its inline features. Undefined when the registry refused the bind (the
 * stream stays authenticated; the success names the bare JID) or the
 * connection went away.
 */
export async function bind2(
  conn: Connection,
  request: Element,
  userAgentId: string | undefined,
): Promise<Bind2Result | undefined> {
  const { ctx } = conn;
  const user = conn.user!;
  const resource = bind2Resource(
    ctx.bindKey,
    user,
    cleanTag(request.getChildText('tag')),
    userAgentId,
  );
  const reply = await requestBind(conn, resource);
  if (reply === undefined) return undefined;
  if (!reply.ok) {
    ctx.logger.info('Bind2 refused by the session registry', {
      conn: conn.id,
      jid: user,
      condition: reply.condition,
    });
    conn.transition('bind-failed');
    return undefined;
  }
  const jid = reply.jid;
  const answers: Element[] = [];
  let carbons = false;
  for (const child of request.getChildElements()) {
    const ns = child.getNS();
    if (ns === NS_SM && child.localName === 'enable' && ctx.config.sm.enabled) {
      if (conn.sm !== undefined) continue;
      await enableSession(
        conn,
        child,
        jid,
        (answer) => answers.push(parseXml(answer)),
        () => conn.state === 'binding' && conn.open,
      );
    } else if (ns === NS_CARBONS && child.localName === 'enable' && carbonsEnabled(conn)) {
      carbons = true;
    } else if (ns === NS_CSI && ctx.config.csi.enabled) {
      if (child.localName === 'inactive') conn.setClientState(false);
      else if (child.localName === 'active') conn.setClientState(true);
    }
  }
  if (conn.state !== 'binding' || !conn.open) return undefined;
  return {
    jid,
    bound: xml('bound', { xmlns: NS_BIND2 }, ...answers),
    after() {
      conn.bound(jid);
      ctx.logger.info('resource bound', { conn: conn.id, jid, bind2: true });
      if (carbons) enableCarbons(conn);
    },
  };
}

/** Whether the session registry runs XEP-0280 (its module is not disabled). */
export function carbonsEnabled(conn: Connection): boolean {
  return !conn.ctx.config.modules.disabled.includes('carbons');
}

function enableCarbons(conn: Connection): void {
  const id = `bind2-carbons-${randomBytes(6).toString('base64url')}`;
  conn.expectInternalReply(id);
  Promise.resolve(
    routeOutbound(conn, xml('iq', { type: 'set', id }, xml('enable', { xmlns: NS_CARBONS }))),
  ).catch((err: unknown) => conn.fail(err));
}
