import { Priority } from '@parley/modules';
import type { JID } from '@parley/jid';
import { tryParseJID } from '@parley/jid';
import {
  ArchiveWriter,
  NS_MAM,
  NS_MAM_EXTENDED,
  NS_SID,
  archiveMetadata,
  dedupeKey,
  defaultPrefs,
  mayBeArchivable,
  mayClaimArchive,
  notArchivedReason,
  parsePrefs,
  prefsElement,
  prefsRule,
  queryArchive,
  queryForm,
  resultMessage,
  setStanzaId,
  stripStanzaIds,
  quickArchivable,
  appendStanzaId,
} from '@parley/mam';
import type { Envelope } from '@parley/routing';
import { badRequest, forbidden } from '@parley/stanza';
import type { ArchivePrefs } from '@parley/store';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { randomBytes } from 'node:crypto';
import type { FilterVerdict, InboundStanza } from '../../hooks.js';
import type { IqRequest, ModuleContext, ServerModule } from '../types.js';
import { ArchiveQuota } from './archive-quota.js';

/**
 * XEP-0313: Message Archive Management for user archives, with XEP-0359
 * stanza ids, XEP-0059 paging and XEP-0441 preferences (protocol in
 * @parley/mam).
 *
 * What is archived: chat and normal messages with a <body/> (XEP-0313
 * 7.1.1), not errors, groupchat or headline, not with a XEP-0334
 * <no-store/> or <no-permanent-store/> hint, as the account's preferences
 * allow. Incoming messages are archived at the recipient's partition in an
 * inbound filter, before delivery or offline storage, and get
 * <stanza-id by=recipient id/>; a stanza-id claiming the recipient's
 * archive that came from elsewhere is removed first (XEP-0359 section 4).
 * Outgoing messages are archived at the sender's partition once routed
 * (onMessageSent); the routed copy never carries the sender's stanza-id,
 * the sender's carbon copies do (XEP-0313 section 2.3, the carbons module
 * runs after this one). Both writes are awaited, so the partition
 * acknowledges the message only after it is in the archive.
 *
 * Handled twice (redelivery after a worker crash, a bounce re-routed), a
 * message is archived once and keeps its id: the ArchiveWriter tags each
 * id with a hash of the message's dedupe key (client stanzas: sender,
 * gateway connection and gateway receive time, which every copy and
 * redelivery shares) and finds the tag among the archive's newest entries.
 * A message a user sends to their own account is archived once (the sent
 * and received copies share the key).
 *
 * The filter rewrites the envelope's xml in place instead of answering
 * `{ replace }`: a replace verdict ends the filter chain, and the filters
 * after this one (carbons' <private/> handling) must still see the message.
 */
export const mamModule: ServerModule = {
  name: 'mam',
  configSections: ['mam', 'quotas'],
  xeps: [
    {
      xep: '0313',
      title: 'Message Archive Management',
      version: '0.8.0',
      note: 'user archives, urn:xmpp:mam:2 with #extended: before-id/after-id/ids, flipped pages, metadata',
    },
    {
      xep: '0059',
      title: 'Result Set Management',
      version: '1.0.0',
      note: 'in archive queries: max, after, before, count and first index; no index paging',
    },
    {
      xep: '0359',
      title: 'Unique and Stable Stanza IDs',
      version: '0.4.1',
      note: 'stanza-id of archived messages',
    },
    {
      xep: '0441',
      title: 'Message Archive Management Preferences',
      version: '0.2.0',
    },
    {
      xep: '0334',
      title: 'Message Processing Hints',
      version: '0.3.0',
      note: 'no-store, no-permanent-store and store, for archiving',
    },
  ],
  enabled: (config) => config.mam.enabled,
  register(ctx) {
    for (const scope of ['account', 'server'] as const) {
      ctx.feature(NS_MAM, scope);
      ctx.feature(NS_MAM_EXTENDED, scope);
      ctx.feature(NS_SID, scope);
    }

    const mam = new Mam(ctx);
    // Stamping priority: the hooks after these (carbons) see the archive's stanza-id.
    ctx.onOutbound(
      ({ env, from }) =>
        env.kind === 'message' && env.xml.includes(NS_SID)
          ? mam.stripOwnIds(env, from.toBareString())
          : undefined,
      Priority.stamp,
    );
    ctx.onMessageSent(
      (from, env) =>
        mayBeArchivable(env.type, env.xml) ? mam.archiveOutgoing(from, env) : undefined,
      Priority.stamp,
    );
    ctx.onInbound((s) => (s.env.kind === 'message' ? mam.inbound(s) : undefined), Priority.stamp);

    // The archive is the account's (XEP-0313 section 8.1); IQs to the server are for the sender's own.
    ctx.accountIq('get', NS_MAM, (req) => mam.get(req, ownArchive(req)));
    ctx.accountIq('set', NS_MAM, (req) => mam.set(req, ownArchive(req)));
    ctx.serverIq('get', NS_MAM, (req) => mam.get(req, req.from.toBareString()));
    ctx.serverIq('set', NS_MAM, (req) => mam.set(req, req.from.toBareString()));
  },
};

/** Only the account itself reads or configures its archive. */
function ownArchive(req: IqRequest): string {
  const owner = req.to.toBareString();
  if (req.from.toBareString() !== owner)
    throw forbidden('only the account itself may use its archive');
  return owner;
}

/** The text of the first <body> of a serialized message, as escaped (a dedupe key part only). */
function rawBody(xml: string): string {
  const start = xml.indexOf('<body>');
  if (start === -1) return '';
  const end = xml.indexOf('</body>', start);
  return end === -1 ? '' : xml.slice(start + 6, end);
}

let resultSeq = 0;
const resultPrefix = randomBytes(4).toString('hex');

class Mam {
  private readonly prefs;
  private readonly writer;
  private readonly quota;

  constructor(private readonly ctx: ModuleContext) {
    this.quota = new ArchiveQuota(ctx);
    this.prefs = ctx.accountCache<ArchivePrefs>();
    // Tails are only needed while an account is active; a dropped one is read again (one query).
    this.writer = new ArchiveWriter(ctx.stores.archive, ctx.accountCache(20_000), 32);
  }

  /** A client planted a stanza-id in its own archive's name: removed before anyone sees it. */
  stripOwnIds(env: Envelope, owner: string): FilterVerdict {
    const msg = parseXml(env.xml);
    if (stripStanzaIds(msg, owner) > 0) env.xml = msg.toString();
    return undefined;
  }

  /** Archives a routed message in the sender's archive; the sender's carbons get its stanza-id. */
  async archiveOutgoing(from: JID, env: Envelope): Promise<void> {
    const owner = from.toBareString();
    const quick = quickArchivable(env.xml);
    if (quick === 'no') return;
    if (quick === 'yes') {
      // The common case, decided and stamped on the serialized stanza: no parse.
      const peer = env.to === '' ? from.bare() : tryParseJID(env.to);
      if (!peer || !(await this.wanted(owner, peer))) return;
      const id = await this.append(owner, env, peer, env.xml);
      if (id !== undefined) env.xml = appendStanzaId(env.xml, owner, id) ?? env.xml;
      return;
    }
    const msg = parseXml(env.xml);
    if (notArchivedReason(msg) !== undefined) return;
    const peer = env.to === '' ? from.bare() : tryParseJID(env.to);
    if (!peer || !(await this.wanted(owner, peer))) return;
    stripStanzaIds(msg, owner);
    const id = await this.append(owner, env, peer, msg);
    if (id === undefined) return;
    // The copy to the recipient is already on its way; what follows (carbons) sees the id.
    env.xml = setStanzaId(msg, owner, id).toString();
  }

  inbound(s: InboundStanza): FilterVerdict | Promise<FilterVerdict> {
    const { env } = s;
    const owner = s.to.toBareString();
    if (
      s.skipConn !== undefined &&
      (env.from === owner || env.from === s.to.domain) &&
      env.xml.includes(NS_MAM)
    )
      return this.bouncedResult(s, owner);
    const archivable = mayBeArchivable(env.type, env.xml);
    // Not archived here (e.g. groupchat, which carries the room's stanza-id):
    // only a stanza-id that may claim this account's archive needs the parse
    // to strip it. mayClaimArchive compares normalized JIDs (not the raw
    // attribute: `Bob@Example.ORG` and `bob@example.org.` are this account too).
    if (!archivable && !(env.xml.includes(NS_SID) && mayClaimArchive(env.xml, owner)))
      return undefined;
    if (archivable) {
      const quick = quickArchivable(env.xml);
      if (quick === 'no') return undefined; // and it carries no stanza-id to strip
      if (quick === 'yes') return this.archiveIncomingQuick(s, owner);
    }
    const msg = parseXml(env.xml);
    const stripped = stripStanzaIds(msg, owner) > 0;
    if (!archivable || notArchivedReason(msg) !== undefined) {
      if (stripped) env.xml = msg.toString();
      return undefined;
    }
    return this.archiveIncoming(s, owner, msg, stripped);
  }

  /** archiveIncoming for a message quickArchivable accepted: no parse, no stanza-id to strip. */
  private async archiveIncomingQuick(s: InboundStanza, owner: string): Promise<FilterVerdict> {
    const { env } = s;
    if (!(await this.exists(owner)) || !(await this.wanted(owner, s.from))) return undefined;
    const id = await this.append(owner, env, s.from, env.xml);
    if (id !== undefined) env.xml = appendStanzaId(env.xml, owner, id) ?? env.xml;
    return undefined;
  }

  private async archiveIncoming(
    s: InboundStanza,
    owner: string,
    msg: Element,
    stripped: boolean,
  ): Promise<FilterVerdict> {
    const { env } = s;
    let id: string | undefined;
    if ((await this.exists(owner)) && (await this.wanted(owner, s.from)))
      id = await this.append(owner, env, s.from, msg);
    if (id !== undefined) env.xml = setStanzaId(msg, owner, id).toString();
    else if (stripped) env.xml = msg.toString();
    return undefined;
  }

  /**
   * A query result a gateway could not hand over goes to the same
   * resource's new connection (stream resumption) or nowhere: never to
   * another resource or offline storage.
   */
  private bouncedResult(s: InboundStanza, owner: string): FilterVerdict {
    const msg = parseXml(s.env.xml);
    if (!msg.getChild('result', NS_MAM)) return undefined;
    const session = s.to.resource ? this.ctx.sessions.get(owner, s.to.resource) : undefined;
    if (session && session.conn !== s.skipConn) this.ctx.deliver(session, msg);
    return 'drop';
  }

  /** Appends; a store failure is logged and the message goes on without an archive id. */
  private async append(
    owner: string,
    env: Envelope,
    peer: JID,
    msg: Element | string,
  ): Promise<string | undefined> {
    const origin = { from: env.from, to: env.to, conn: env.conn, ts: env.ts, id: env.id };
    // The body tells messages apart only when the stanza has no connection and time of origin.
    const key =
      env.conn !== undefined && env.ts !== undefined
        ? dedupeKey(origin)
        : dedupeKey(
            { ...origin, type: env.type },
            typeof msg === 'string' ? rawBody(msg) : msg.getChildText('body'),
          );
    try {
      const { id, duplicate } = await this.writer.append(owner, { key, peer, message: msg });
      if (!duplicate) await this.quota.archived(owner);
      return id;
    } catch (err) {
      this.writer.forget(owner);
      this.ctx.logger.error('archiving failed', { owner, err });
      return undefined;
    }
  }

  /** Messages for an account that does not exist are bounced by the registry, not archived. */
  private async exists(owner: string): Promise<boolean> {
    if (this.ctx.sessions.resources(owner).length > 0) return true;
    if (await this.ctx.stores.accounts.get(owner)) return true;
    this.prefs.delete(owner);
    this.writer.forget(owner);
    return false;
  }

  /** Whether the account's preferences archive messages with `peer` (XEP-0441). */
  private async wanted(owner: string, peer: JID): Promise<boolean> {
    const rule = prefsRule(await this.loadPrefs(owner), peer);
    if (rule !== 'roster') return rule === 'always';
    const bare = peer.toBareString();
    if (bare === owner) return true; // the account's own resources
    const item = await this.ctx.stores.rosters.getItem(owner, bare);
    return item !== undefined && item.listed;
  }

  private loadPrefs(owner: string): ArchivePrefs | Promise<ArchivePrefs> {
    return (
      this.prefs.get(owner) ??
      this.ctx.stores.archive.getPrefs(owner).then((stored) => {
        const prefs = stored ?? defaultPrefs(this.ctx.config.mam.defaultPolicy);
        this.prefs.set(owner, prefs);
        return prefs;
      })
    );
  }

  async get(req: IqRequest, owner: string): Promise<Element> {
    const { payload } = req;
    if (payload.is('query', NS_MAM)) return queryForm();
    if (payload.is('prefs', NS_MAM)) return prefsElement(await this.loadPrefs(owner));
    if (payload.is('metadata', NS_MAM)) return archiveMetadata(this.ctx.stores.archive, owner);
    throw badRequest('expected <query/>, <prefs/> or <metadata/>');
  }

  async set(req: IqRequest, owner: string): Promise<Element | void> {
    const { payload } = req;
    if (payload.is('prefs', NS_MAM)) {
      const prefs = parsePrefs(payload);
      await this.ctx.stores.archive.setPrefs(owner, prefs);
      this.prefs.set(owner, prefs);
      return prefsElement(prefs);
    }
    if (!payload.is('query', NS_MAM)) throw badRequest('expected <query/> or <prefs/>');
    const { mam } = this.ctx.config;
    const { results, fin } = await queryArchive(this.ctx.stores.archive, owner, payload, {
      maxPageSize: mam.maxPageSize,
      defaultPageSize: mam.defaultPageSize,
      count: mam.includeCount,
    });
    // Results go to the requesting resource only, before the IQ result (which the registry
    // routes through this partition, so it reaches the gateway after them).
    const session = this.ctx.sessions.get(req.from.toBareString(), req.from.resource);
    if (session) {
      const from = req.to.toString();
      const to = req.from.toString();
      for (const r of results)
        this.ctx.deliver(session, resultMessage(r, from, to, `${resultPrefix}-${++resultSeq}`));
    }
    return fin;
  }
}
