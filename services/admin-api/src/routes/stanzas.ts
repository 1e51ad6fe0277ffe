/** Send messages and raw stanzas as any JID; read a user's message archive. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import type { ArchivedMessage } from '@parley/store';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { checkDomain, pathAccount } from '../auth.js';
import type { Authorized } from '../auth.js';
import type { ApiContext } from '../context.js';
import { anyJid, servedDomainOfMuc } from '../jids.js';
import { badRequest } from '../problem.js';
import {
  ACCEPTED,
  BARE_JID,
  JID,
  StringEnum,
  UserParams,
  XML,
  obj,
  ok,
  page,
  pageQuery,
  problems,
} from '../schemas.js';

/** A message of an archive, with the attributes and body of its XML. */
export const ArchivedMessageView = obj({
  id: Type.String({ description: 'Archive id (XEP-0359 stanza-id)' }),
  ts: Type.Integer({ description: 'ms since epoch' }),
  with: BARE_JID,
  from: Type.Optional(Type.String()),
  to: Type.Optional(Type.String()),
  type: Type.Optional(Type.String()),
  body: Type.Optional(Type.String()),
  xml: XML,
});

export function archivedView(m: ArchivedMessage): Static<typeof ArchivedMessageView> {
  let el: Element | undefined;
  try {
    el = parseXml(m.xml);
  } catch {
    el = undefined;
  }
  return {
    id: m.id,
    ts: m.ts,
    with: m.with,
    xml: m.xml,
    ...(el?.attr('from') !== undefined ? { from: el.attr('from') } : {}),
    ...(el?.attr('to') !== undefined ? { to: el.attr('to') } : {}),
    ...(el?.attr('type') !== undefined ? { type: el.attr('type') } : {}),
    ...(el?.getChildText('body') !== undefined ? { body: el.getChildText('body') } : {}),
  };
}

export function stanzasRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config } = ctx;
  /** A domain-limited token may only name JIDs of its domains (MUC services count as theirs). */
  const checkAny = (req: Authorized, jid: string) => {
    const d = anyJid(jid).domain;
    checkDomain(req, servedDomainOfMuc(config, d) ?? d);
  };
  /** Local accounts send on their own behalf (stage 'out': carbons, their archive); others are injected. */
  const stageOf = async (from: string): Promise<'in' | 'out'> => {
    const j = anyJid(from);
    if (!j.local || !ctx.router.isLocal(j.domain)) return 'in';
    return (await ctx.stores.accounts.get(j.toBareString())) ? 'out' : 'in';
  };

  return async (app) => {
    app.post(
      '/messages',
      {
        schema: {
          operationId: 'sendMessage',
          summary: 'Send a chat, normal or headline message as any JID',
          description:
            "From a local account the message goes through the sender's partition as if its " +
            "client had sent it (carbons, the sender's archive); from any other JID it is " +
            "delivered to the recipient's partition.",
          tags: ['stanzas'],
          body: obj({
            from: JID,
            to: JID,
            body: Type.String({ description: 'Message text', maxLength: 65536 }),
            type: Type.Optional(
              StringEnum(['chat', 'normal', 'headline'], {
                description: 'Message type (default chat)',
              }),
            ),
            subject: Type.Optional(Type.String({ description: 'Subject', maxLength: 1024 })),
            id: Type.Optional(
              Type.String({
                description: 'Stanza id (default: a random one)',
                minLength: 1,
                maxLength: 256,
              }),
            ),
          }),
          response: { 202: ACCEPTED('Routed'), ...problems('bad-request', 'domain-not-allowed') },
        },
      },
      async (req, reply) => {
        const b = req.body;
        const from = anyJid(b.from, 'from').toString();
        const to = anyJid(b.to, 'to').toString();
        checkAny(req, from);
        checkAny(req, to);
        const id = b.id ?? randomUUID();
        const m = xml('message', { from, to, type: b.type ?? 'chat', id });
        if (b.subject) m.c('subject').t(b.subject);
        m.c('body').t(b.body);
        await ctx.router.send(m, await stageOf(from));
        return reply.code(202).send({ id });
      },
    );

    app.post(
      '/stanzas',
      {
        schema: {
          operationId: 'sendStanza',
          summary: 'Route a raw stanza (message, presence or iq with from and to)',
          tags: ['stanzas'],
          body: obj({ stanza: XML }),
          response: { 202: ACCEPTED('Routed'), ...problems('bad-request', 'domain-not-allowed') },
        },
      },
      async (req, reply) => {
        let el: Element;
        try {
          el = parseXml(req.body.stanza, { maxStanzaBytes: config.c2s.maxStanzaBytes });
        } catch (err) {
          throw badRequest(`the stanza is not well-formed XML: ${(err as Error).message}`);
        }
        if (!['message', 'presence', 'iq'].includes(el.name))
          throw badRequest('a stanza is a <message/>, <presence/> or <iq/>');
        const from = el.attr('from');
        const to = el.attr('to');
        if (!from || !to) throw badRequest('the stanza needs from and to attributes');
        el.setAttr('from', anyJid(from, 'from').toString());
        el.setAttr('to', anyJid(to, 'to').toString());
        checkAny(req, from);
        checkAny(req, to);
        const env = await ctx.router.send(el, 'in');
        return reply.code(202).send(env.id !== undefined ? { id: env.id } : {});
      },
    );

    app.get(
      '/users/:jid/messages',
      {
        schema: {
          operationId: 'getLastMessages',
          summary: "A user's last messages, newest first, from the message archive (XEP-0313)",
          tags: ['stanzas'],
          params: UserParams,
          querystring: pageQuery(config, {
            with: Type.Optional(
              Type.String({ description: 'Only messages with this bare JID', minLength: 3 }),
            ),
          }),
          response: { 200: ok('A page of archived messages', page(ArchivedMessageView)) },
        },
        // User content: tokens with the data scope only (docs/admin-api.md).
        config: { scope: 'data' },
      },
      async (req) => {
        const owner = pathAccount(config, req);
        const { limit, after } = req.query;
        const res = await ctx.stores.archive.query(owner, {
          limit,
          fromEnd: true,
          ...(after !== undefined ? { beforeId: after } : {}),
          ...(req.query.with !== undefined
            ? { with: anyJid(req.query.with, 'with').toBareString() }
            : {}),
        });
        const items = [...res.items].reverse().map(archivedView);
        const oldest = res.items[0];
        return { items, ...(!res.complete && oldest ? { next: oldest.id } : {}) };
      },
    );
  };
}
