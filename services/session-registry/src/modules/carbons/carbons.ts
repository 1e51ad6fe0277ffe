import { bareOf } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import { NS_CARBONS, NS_CLIENT, NS_FORWARD, badRequest, notAllowed } from '@parley/stanza';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { SessionEntry } from '../../sessions/session-table.js';
import { NS_CARBONS_RULES, isEligible, plainChat } from './carbons-rules.js';
import type { ModuleContext, ServerModule } from '../types.js';

/** Session flag: the resource enabled carbons. */
const ENABLED = 'carbons';

/**
 * XEP-0280: Message Carbons. A resource enables or disables carbons for
 * itself; every eligible message a user receives is copied, wrapped in
 * <received/>, to the user's other carbons-enabled resources that did not
 * get it, and every eligible message a user sends is copied, wrapped in
 * <sent/>, to the sender's other carbons-enabled resources. Messages
 * between two resources of one account are not copied. A <private/>
 * element is removed before delivery. A copy is only ever delivered to
 * the resource it names: one the gateway could not hand over is dropped,
 * never re-routed or answered with an error.
 */
export const carbonsModule: ServerModule = {
  name: 'carbons',
  xeps: [
    {
      xep: '0280',
      title: 'Message Carbons',
      version: '1.0.1',
      note: 'with the urn:xmpp:carbons:rules:0 copying rules; error messages are not copied',
    },
    {
      xep: '0334',
      title: 'Message Processing Hints',
      version: '0.3.0',
      note: 'the no-copy hint only',
    },
  ],
  register(ctx) {
    ctx.feature(NS_CARBONS);
    ctx.feature(NS_CARBONS_RULES);

    ctx.accountIq('set', NS_CARBONS, async ({ from, to, payload }) => {
      const owner = from.toBareString();
      if (to.toBareString() !== owner) throw notAllowed('carbons are set by the account itself');
      if (!payload.is('enable', NS_CARBONS) && !payload.is('disable', NS_CARBONS))
        throw badRequest('expected <enable/> or <disable/>');
      const session = ctx.sessions.get(owner, from.resource);
      if (!session) throw notAllowed('no session for this resource');
      ctx.setSessionFlag(owner, session, ENABLED, payload.localName === 'enable');
      return undefined;
    });

    // Received copies go out after the message was handed to the recipient's resources.
    const stripped = new WeakSet<Envelope>();
    ctx.onMessageDelivered((owner, env, deliveredTo) => {
      if (deliveredTo.length === 0 || stripped.has(env)) return; // offline storage, or <private/>
      const targets = copyTargets(ctx, owner, (s) => !deliveredTo.includes(s));
      if (targets.length === 0 || bareOf(env.from) === owner) return;
      const msg = eligible(env, 'received');
      if (msg) for (const s of targets) ctx.deliver(s, wrap('received', owner, s, msg));
    });

    ctx.onMessageSent((from, env) => {
      const owner = from.toBareString();
      const targets = copyTargets(ctx, owner, (s) => s.resource !== from.resource);
      if (targets.length === 0 || env.to === '' || bareOf(env.to) === owner) return;
      const msg = eligible(env, 'sent');
      if (msg) for (const s of targets) ctx.deliver(s, wrap('sent', owner, s, msg));
    });

    // The recipient's server removes <private/> (XEP-0280 section 7); a copy bounced by a
    // gateway goes to the same resource's new connection (stream resumption) or nowhere.
    ctx.onInbound(({ env, to, skipConn }) => {
      if (env.kind !== 'message' || !env.xml.includes(NS_CARBONS)) return undefined;
      const owner = to.toBareString();
      const msg = parseXml(env.xml);
      if (env.from === owner && isCopy(msg)) {
        const s = to.resource ? ctx.sessions.get(owner, to.resource) : undefined;
        if (s && s.conn !== skipConn) ctx.deliver(s, msg);
        return 'drop';
      }
      const priv = msg.getChild('private', NS_CARBONS);
      if (!priv) return undefined;
      msg.remove(priv);
      const replace: Envelope = { ...env, xml: msg.toString() };
      stripped.add(replace);
      return { replace };
    });
  },
};

/** The owner's carbons-enabled resources that `keep` accepts. */
function copyTargets(
  ctx: ModuleContext,
  owner: string,
  keep: (s: SessionEntry) => boolean,
): SessionEntry[] {
  const out: SessionEntry[] = [];
  for (const s of ctx.sessions.resources(owner)) if (s.flags?.[ENABLED] && keep(s)) out.push(s);
  return out;
}

/** The message, parsed, when it is eligible for carbons; undefined otherwise. */
function eligible(env: Envelope, direction: 'sent' | 'received'): Element | undefined {
  if (env.type !== 'chat' && env.type !== 'normal' && env.type !== '') return undefined;
  const msg = parseXml(env.xml);
  return plainChat(env.type, env.xml) || isEligible(msg, direction) ? msg : undefined;
}

function isCopy(msg: Element): boolean {
  return (
    msg.getChild('sent', NS_CARBONS) !== undefined ||
    msg.getChild('received', NS_CARBONS) !== undefined
  );
}

/** `<message from=bare to=full><sent|received><forwarded><message .../></forwarded></...></message>` */
function wrap(
  kind: 'sent' | 'received',
  owner: string,
  to: SessionEntry,
  original: Element,
): Element {
  const inner = original.clone();
  inner.setAttr('xmlns', NS_CLIENT);
  return xml(
    'message',
    { from: owner, to: `${owner}/${to.resource}`, type: original.attr('type') },
    xml(kind, { xmlns: NS_CARBONS }, xml('forwarded', { xmlns: NS_FORWARD }, inner)),
  );
}
