import { randomBytes } from 'node:crypto';
import type { JID } from '@parley/jid';
import { bareOf, tryParseJID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import {
  badRequest,
  forbidden,
  notAcceptable,
  parseStanzaError,
  resourceConstraint,
} from '@parley/stanza';
import type { PushRegistration } from '@parley/store';
import type { Metrics } from '@parley/telemetry';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { AccountCache } from '../../account-cache.js';
import type { FilterVerdict, InboundStanza } from '../../hooks.js';
import { DETACHED } from '../../sessions/session-table.js';
import type { SessionEntry } from '../../sessions/session-table.js';
import type { IqRequest, ModuleContext, ServerModule } from '../types.js';
import { readDisable, readEnable } from './enable.js';
import { isImportant, mentions, publishIq } from './notification.js';
import type { Summary } from './notification.js';
import { NS_MUC_USER, NS_PUBSUB, NS_PUSH } from './ns.js';
import { NS_BOOKMARKS2, settingOfPayload } from './room-settings.js';
import type { RoomSetting } from './room-settings.js';

/**
 * XEP-0357 Push Notifications, the user's server side. Clients enable and
 * disable app servers (a JID and node, with publish options such as a
 * secret) on their account; the registrations are in the
 * PushRegistrationStore and, for the hot path, in a per-account cache of
 * the owning partition. A notification (a pubsub publish with the
 * urn:xmpp:push:summary form) goes to every registration of the account
 * when a message arrives that no attached session of the user received:
 *
 * - a one-to-one message (chat or normal, with a body, OMEMO payload or
 *   call proposal) stored offline, or routed only to sessions detached by
 *   XEP-0198 stream management (`session-detached` from the gateway);
 * - a group chat message routed to such a detached session, of a room the
 *   user marked `always` (XEP-0492 in its XEP-0402 bookmark), or whose body
 *   mentions the user's nickname in that room (learned from the room's
 *   self-presence, status 110) unless the room is marked `never`.
 *
 * The summary carries message-count (messages notified since the user was
 * last active), last-message-sender (push.includeSender) and
 * last-message-body only for the domains in push.bodyDomains. While a
 * publish to a registration is unanswered no other is sent to it (a burst
 * of messages wakes the device once; the count tells the rest). An error
 * answer to a publish disables that registration (section 7.1), except an
 * error of type `wait` (transient: the registration stays). See
 * docs/push.md.
 */
export const pushModule: ServerModule = {
  name: 'push',
  configSections: ['push'],
  xeps: [
    {
      xep: '0357',
      title: 'Push Notifications',
      version: '0.4.1',
      note: 'enable/disable with publish options; notifications for messages stored offline, routed to sessions detached by stream management, and group chat mentions or messages of rooms marked always; an error reply disables the registration unless of type wait; the body only for push.bodyDomains',
    },
    {
      xep: '0492',
      title: 'Chat notification settings',
      version: '0.2.0',
      note: 'read from XEP-0402 bookmarks for push notifications (always, on-mention, never; the client/phone identity first)',
    },
  ],
  enabled: (config) => config.push.enabled,
  register(ctx) {
    const notifier = new PushNotifier(ctx);
    return () => notifier.close();
  },
};

interface Pending {
  owner: string;
  jid: string;
  node: string;
  timer: NodeJS.Timeout;
}

/** The module's state and handlers (one per registry worker). */
export class PushNotifier {
  private readonly regs: AccountCache<PushRegistration[]>;
  /** Messages notified per account since its user was last active. */
  private readonly counts: AccountCache<number>;
  /** Per account: room bare JID -> the user's nickname there. */
  private readonly nicks: AccountCache<Map<string, string>>;
  /** Per account: room bare JID -> its XEP-0492 setting from the bookmark (loaded per room). */
  private readonly rooms: AccountCache<Map<string, RoomSetting>>;
  private readonly pending = new Map<string, Pending>();
  /** The registrations (owner, jid, node) with a publish not answered yet. */
  private readonly busy = new Set<string>();
  private readonly notifications: ReturnType<Metrics['counter']>;
  private readonly registrations: ReturnType<Metrics['counter']>;

  constructor(private readonly ctx: ModuleContext) {
    this.regs = ctx.accountCache();
    this.counts = ctx.accountCache();
    this.nicks = ctx.accountCache();
    this.rooms = ctx.accountCache();
    this.notifications = ctx.metrics.counter(
      'push_notifications_total',
      'XEP-0357 publishes to app servers, by outcome (sent, accepted, error, error-wait: kept, timeout, coalesced: not sent while one to the same registration is unanswered).',
      ['outcome'],
    );
    this.registrations = ctx.metrics.counter(
      'push_registrations_total',
      'XEP-0357 registrations enabled, disabled by their user, disabled after an error reply, and disabled by their app server (section 8).',
      ['action'],
    );
    ctx.feature(NS_PUSH, 'account');
    ctx.accountIq('set', NS_PUSH, (req) => this.enableOrDisable(req));
    ctx.onInbound((s) => this.inbound(s));
    ctx.onOutbound(({ env, from, generated }) => {
      if (generated) return undefined;
      const owner = from.toBareString();
      // Anything the user sends means someone is looking: the count starts again.
      if (this.counts.get(owner) !== undefined) this.counts.delete(owner);
      // Bookmarks may change (XEP-0402 on PEP, or XEP-0048 mapped onto it): read them again.
      if (
        env.kind === 'iq' &&
        this.rooms.get(owner) !== undefined &&
        (env.xml.includes(NS_BOOKMARKS2) || env.xml.includes('storage:bookmarks'))
      )
        this.rooms.delete(owner);
      return undefined;
    });
    ctx.onMessageDelivered((owner, env, to) => this.delivered(owner, env, to));
  }

  close(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.busy.clear();
  }

  /** The account's registrations: from the cache, or loaded once from the store. */
  private load(owner: string): PushRegistration[] | Promise<PushRegistration[]> {
    return (
      this.regs.get(owner) ??
      this.ctx.stores.pushRegistrations.list(owner).then((list) => {
        this.regs.set(owner, list);
        return list;
      })
    );
  }

  private async reload(owner: string): Promise<void> {
    this.regs.set(owner, await this.ctx.stores.pushRegistrations.list(owner));
  }

  private async enableOrDisable(req: IqRequest): Promise<undefined> {
    const owner = req.from.toBareString();
    if (req.to.toBareString() !== owner)
      throw forbidden('only the account itself may enable push notifications');
    const store = this.ctx.stores.pushRegistrations;
    if (req.payload.is('disable', NS_PUSH)) {
      const { jid, node } = readDisable(req.payload);
      const removed = await store.remove(owner, jid, node);
      await this.reload(owner);
      this.registrations.inc({ action: 'disabled' }, removed);
      return undefined;
    }
    if (!req.payload.is('enable', NS_PUSH)) throw badRequest('expected <enable/> or <disable/>');
    const wanted = readEnable(req.payload);
    // The account itself or this server is no app server: publishes there would land in the
    // account's own PEP or the server's IQ handlers.
    if (bareOf(wanted.jid) === owner || this.ctx.config.server.domains.includes(wanted.jid))
      throw notAcceptable('the account itself or its server cannot be an app server');
    const current = await this.load(owner);
    const replaces = current.some((r) => r.jid === wanted.jid && r.node === wanted.node);
    const max = this.ctx.config.push.maxRegistrations;
    if (!replaces && current.length >= max)
      throw resourceConstraint(`at most ${max} push registrations per account`);
    await store.put(owner, {
      ...wanted,
      enabledBy: req.from.toString(),
      createdAt: Date.now(),
    });
    await this.reload(owner);
    this.registrations.inc({ action: 'enabled' });
    return undefined;
  }

  private inbound({ env, from, to }: InboundStanza): FilterVerdict | Promise<FilterVerdict> {
    if (env.kind === 'iq' && (env.type === 'result' || env.type === 'error') && env.id) {
      const p = this.pending.get(env.id);
      if (
        p !== undefined &&
        !to.resource &&
        p.owner === to.toBareString() &&
        p.jid === from.toString()
      )
        return this.answered(p, env);
      return undefined;
    }
    if (env.kind === 'presence' && this.ctx.config.push.notifyMentions)
      this.trackNick(env, from, to);
    if (env.kind === 'message' && !to.resource && env.xml.includes(NS_PUBSUB))
      return this.remoteDisable(env, from, to.toBareString());
    return undefined;
  }

  /** The app server answered a publish: done, or (an error) the registration is disabled. */
  private async answered(p: Pending, env: Envelope): Promise<FilterVerdict> {
    this.settle(env.id!, p);
    if (env.type === 'result') {
      this.notifications.inc({ outcome: 'accepted' });
      return 'drop';
    }
    if (parseStanzaError(parseXml(env.xml))?.type === 'wait') {
      // Transient at the app server (XEP-0357 7.1 allows keeping it): the registration stays.
      this.notifications.inc({ outcome: 'error-wait' });
      return 'drop';
    }
    this.notifications.inc({ outcome: 'error' });
    const removed = await this.ctx.stores.pushRegistrations.remove(p.owner, p.jid, p.node);
    await this.reload(p.owner);
    if (removed > 0) {
      this.registrations.inc({ action: 'disabled-after-error' });
      this.ctx.logger.info('push registration disabled after an error from its app server', {
        jid: p.owner,
        appServer: p.jid,
      });
    }
    return 'drop';
  }

  /**
   * XEP-0357 section 8: an app server the account enabled says it no longer
   * takes its notifications (an affiliation change to `none` for the
   * account, on a node of it): that registration is disabled.
   */
  private remoteDisable(
    env: Envelope,
    from: JID,
    owner: string,
  ): FilterVerdict | Promise<FilterVerdict> {
    const regs = this.regs.get(owner);
    const jid = from.toString();
    if (regs !== undefined && !regs.some((r) => r.jid === jid)) return undefined;
    const pubsub = parseXml(env.xml).getChild('pubsub', NS_PUBSUB);
    const node = pubsub?.attr('node');
    const aff = pubsub?.getChild('affiliation');
    if (node === undefined || aff?.attr('affiliation') !== 'none') return undefined;
    if (tryParseJID(aff.attr('jid') ?? '')?.toBareString() !== owner) return undefined;
    return this.ctx.stores.pushRegistrations.remove(owner, jid, node).then(async (removed) => {
      if (removed === 0) return undefined;
      await this.reload(owner);
      this.registrations.inc({ action: 'disabled-by-app-server' }, removed);
      return 'drop';
    });
  }

  /** A room's self-presence (status 110) to a resource of a user with registrations: the user's nick there. */
  private trackNick(env: Envelope, from: JID, to: JID): void {
    if (!to.resource || !from.resource || !from.local) return;
    const owner = to.toBareString();
    if ((this.regs.get(owner)?.length ?? 0) === 0) return;
    if (!env.xml.includes(NS_MUC_USER) || !env.xml.includes('110')) return;
    const presence = parseXml(env.xml);
    const x = presence.getChild('x', NS_MUC_USER);
    if (!x?.getChildren('status').some((s) => s.attr('code') === '110')) return;
    const room = from.toBareString();
    let rooms = this.nicks.get(owner);
    if (env.type === 'unavailable') {
      rooms?.delete(room);
      return;
    }
    if (rooms === undefined) this.nicks.set(owner, (rooms = new Map()));
    rooms.set(room, from.resource);
  }

  private delivered(owner: string, env: Envelope, to: SessionEntry[]): void | Promise<void> {
    if (env.kind !== 'message') return;
    const type = env.type || 'normal';
    if (type !== 'chat' && type !== 'normal' && type !== 'groupchat') return;
    // Someone attached got it: no push.
    if (to.some((s) => s.flags?.[DETACHED] !== true)) return;
    if (type === 'groupchat' && to.length === 0) return;
    const cached = this.regs.get(owner);
    if (cached !== undefined && cached.length === 0) return;
    return Promise.resolve(this.load(owner)).then((regs) =>
      regs.length > 0 ? this.notifyIfWorth(owner, env, type, regs) : undefined,
    );
  }

  /** The user's XEP-0492 setting for a room, from its bookmark (cached per account and room). */
  private async roomSetting(owner: string, room: string): Promise<RoomSetting> {
    let rooms = this.rooms.get(owner);
    const known = rooms?.get(room);
    if (known !== undefined) return known;
    const { items } = await this.ctx.stores.pubsub.items(owner, NS_BOOKMARKS2, { ids: [room] });
    const setting = settingOfPayload(items[0]?.payload ?? '') ?? 'on-mention';
    rooms = this.rooms.get(owner);
    if (rooms === undefined) this.rooms.set(owner, (rooms = new Map()));
    rooms.set(room, setting);
    return setting;
  }

  private async notifyIfWorth(
    owner: string,
    env: Envelope,
    type: string,
    regs: PushRegistration[],
  ): Promise<void> {
    const message = parseXml(env.xml);
    const from = tryParseJID(env.from);
    if (!from) return;
    let sender: string;
    if (type === 'groupchat') {
      const room = from.toBareString();
      const nick = this.nicks.get(owner)?.get(room);
      if (from.resource === nick || !isImportant(message)) return;
      const setting = await this.roomSetting(owner, room);
      if (setting === 'never') return;
      if (setting === 'on-mention') {
        if (!this.ctx.config.push.notifyMentions) return;
        const body = message.getChildText('body');
        if (nick === undefined || body === undefined || !mentions(body, nick)) return;
      }
      sender = from.toString();
    } else {
      if (!isImportant(message)) return;
      sender = from.toBareString();
    }
    this.notify(owner, message, sender, regs);
  }

  private notify(owner: string, message: Element, sender: string, regs: PushRegistration[]): void {
    const count = (this.counts.get(owner) ?? 0) + 1;
    this.counts.set(owner, count);
    const summary: Summary = { count };
    if (this.ctx.config.push.includeSender) summary.sender = sender;
    const domain = owner.slice(owner.indexOf('@') + 1);
    const body = message.getChildText('body');
    if (body !== undefined && this.ctx.config.push.bodyDomains.includes(domain))
      summary.body = body;
    for (const reg of regs) {
      // One publish in flight per registration: a burst of messages wakes the device once,
      // and the count in the next notification tells how many came.
      const key = busyKey(owner, reg.jid, reg.node);
      if (this.busy.has(key)) {
        this.notifications.inc({ outcome: 'coalesced' });
        continue;
      }
      const id = `push-${randomBytes(12).toString('base64url')}`;
      const p: Pending = {
        owner,
        jid: reg.jid,
        node: reg.node,
        timer: setTimeout(() => {
          if (this.pending.has(id)) {
            this.settle(id, p);
            this.notifications.inc({ outcome: 'timeout' });
          }
        }, this.ctx.config.push.publishTimeoutMs),
      };
      p.timer.unref();
      this.pending.set(id, p);
      this.busy.add(key);
      this.ctx.send(publishIq(id, owner, reg, summary));
      this.notifications.inc({ outcome: 'sent' });
    }
  }

  private settle(id: string, p: Pending): void {
    clearTimeout(p.timer);
    this.pending.delete(id);
    this.busy.delete(busyKey(p.owner, p.jid, p.node));
  }
}

const busyKey = (owner: string, jid: string, node: string) => JSON.stringify([owner, jid, node]);
