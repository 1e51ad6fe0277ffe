/**
 * MUC rooms (XEP-0045): list, create, inspect, configure, destroy, and the
 * room's archive. Operations act on the rooms as the admin API's MUC actor
 * (an owner of every room) through ordinary XEP-0045 stanzas; listing reads
 * the room store (persistent rooms).
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { NS_DISCO_INFO } from '@parley/stanza';
import type { StoredRoom } from '@parley/store';
import { xml } from '@parley/xml';
import { checkDomain, checkJid, checkRoom } from '../auth.js';
import type { Authorized } from '../auth.js';
import type { ApiContext } from '../context.js';
import { accountJid, mucDomainOf, roomJid, servedDomainOfMuc } from '../jids.js';
import { ConfigValues, FormField, formFields, submitForm } from '../muc-forms.js';
import { conflict } from '../problem.js';
import {
  BARE_JID,
  NO_CONTENT,
  RoomParams,
  obj,
  ok,
  page,
  pageQuery,
  problems,
  described,
} from '../schemas.js';
import { ArchivedMessageView, archivedView } from './stanzas.js';

export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const MUC_PROBLEMS = problems(
  'not-found',
  'forbidden',
  'unavailable',
  'timeout',
  'xmpp-error',
);

const Room = obj({
  jid: BARE_JID,
  createdAt: Type.Integer({ description: 'ms since epoch' }),
  config: Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    additionalProperties: true,
    description: 'Stored configuration',
  }),
  subject: Type.Optional(Type.String({ description: 'Current subject' })),
});
const { id, ts, with: withJid, ...archived } = ArchivedMessageView.properties;
const RoomMessage = obj({
  id,
  ts,
  with: withJid,
  nick: Type.Optional(Type.String({ description: 'Nickname of the sender' })),
  ...archived,
});

function roomView(r: StoredRoom) {
  return {
    jid: r.jid,
    createdAt: r.createdAt,
    config: r.config,
    ...(r.subject ? { subject: r.subject.text } : {}),
  };
}

/** The room of the path, checked against the token's domains; MUC must be usable. */
export function pathRoom(
  ctx: ApiContext,
  req: Authorized & { params: Static<typeof RoomParams> },
): string {
  ctx.muc.check();
  const room = roomJid(ctx.config, req.params.room);
  checkRoom(req, ctx.config, room);
  return room;
}

/** Asks the room for its disco#info: a 404 problem when it does not exist. */
export async function roomInfo(ctx: ApiContext, room: string) {
  const res = await ctx.muc.iq(room, 'get', xml('query', { xmlns: NS_DISCO_INFO }));
  const q = res.getChild('query', NS_DISCO_INFO);
  return {
    jid: room,
    name: q?.getChild('identity')?.attr('name') ?? room,
    features: (q?.getChildren('feature') ?? []).map((f) => f.attr('var') ?? ''),
  };
}

export function mucRoomsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, muc, stores } = ctx;
  return async (app) => {
    app.get(
      '/muc/rooms',
      {
        schema: {
          operationId: 'listRooms',
          summary: 'List the persistent rooms, ordered by JID',
          tags: ['muc'],
          querystring: pageQuery(config, {
            domain: Type.Optional(
              Type.String({
                description: 'Only rooms of this MUC service (e.g. conference.example.org)',
                minLength: 1,
              }),
            ),
          }),
          response: {
            200: ok('A page of rooms', page(Room)),
            ...problems('domain-not-allowed'),
          },
        },
      },
      async (req) => {
        let domain = req.query.domain;
        if (domain !== undefined) checkDomain(req, servedDomainOfMuc(config, domain) ?? domain);
        else if (req.token?.domains?.length === 1)
          domain = mucDomainOf(config, req.token.domains[0]!);
        else if (req.token?.domains !== undefined) checkDomain(req, '');
        const res = await stores.rooms.list({
          limit: req.query.limit,
          ...(req.query.after !== undefined ? { after: req.query.after } : {}),
          ...(domain !== undefined ? { domain } : {}),
        });
        return { items: res.items.map(roomView), ...(res.next ? { next: res.next } : {}) };
      },
    );

    app.post(
      '/muc/rooms',
      {
        schema: {
          operationId: 'createRoom',
          summary: 'Create a room (persistent unless the configuration says otherwise)',
          tags: ['muc'],
          body: obj({
            room: BARE_JID,
            owner: Type.Optional(described(BARE_JID, 'Local user who becomes the owner')),
            nick: Type.Optional(
              Type.String({
                description: 'Nickname the API enters with while creating it',
                minLength: 1,
                maxLength: 256,
              }),
            ),
            config: Type.Optional(ConfigValues),
          }),
          response: {
            201: ok('Created', obj({ jid: BARE_JID })),
            ...problems('conflict'),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req, reply) => {
        muc.check();
        const room = roomJid(config, req.body.room);
        checkRoom(req, config, room);
        const owner =
          req.body.owner === undefined ? undefined : accountJid(config, req.body.owner, 'owner');
        if (owner !== undefined) checkJid(req, owner);
        if (await stores.rooms.get(room)) throw conflict(`${room} exists`);
        const nick = req.body.nick ?? `admin-api-${ctx.instance}`;
        const codes = await muc.join(room, nick);
        try {
          if (!codes.includes(201)) throw conflict(`${room} exists`);
          await muc.iq(
            room,
            'set',
            xml(
              'query',
              { xmlns: NS_MUC_OWNER },
              submitForm({ 'muc#roomconfig_persistentroom': true, ...req.body.config }),
            ),
          );
          if (owner !== undefined && owner !== muc.actor) {
            await muc.admin(room, 'set', xml('item', { jid: owner, affiliation: 'owner' }));
            await muc.admin(room, 'set', xml('item', { jid: muc.actor, affiliation: 'none' }));
          }
        } finally {
          await muc.leave(room, nick);
        }
        ctx.logger.info('room created by the admin API', { room });
        return reply.code(201).send({ jid: room });
      },
    );

    app.get(
      '/muc/rooms/:room',
      {
        schema: {
          operationId: 'getRoom',
          summary: 'Whether a room exists: its name and features (disco#info)',
          tags: ['muc'],
          params: RoomParams,
          response: {
            200: ok(
              'The room',
              obj({ jid: BARE_JID, name: Type.String(), features: Type.Array(Type.String()) }),
            ),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req) => roomInfo(ctx, pathRoom(ctx, req)),
    );

    app.get(
      '/muc/rooms/:room/config',
      {
        schema: {
          operationId: 'getRoomConfig',
          summary: "A room's configuration form",
          tags: ['muc'],
          params: RoomParams,
          response: {
            200: ok('The fields', obj({ fields: Type.Array(FormField) })),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req) => {
        const res = await muc.iq(pathRoom(ctx, req), 'get', xml('query', { xmlns: NS_MUC_OWNER }));
        return { fields: formFields(res.getChild('query', NS_MUC_OWNER)?.getChild('x')) };
      },
    );

    app.patch(
      '/muc/rooms/:room/config',
      {
        schema: {
          operationId: 'changeRoomConfig',
          summary: "Change some of a room's configuration fields",
          tags: ['muc'],
          params: RoomParams,
          body: obj({ config: ConfigValues }),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        await muc.iq(
          room,
          'set',
          xml('query', { xmlns: NS_MUC_OWNER }, submitForm(req.body.config)),
        );
        return reply.code(204).send();
      },
    );

    app.delete(
      '/muc/rooms/:room',
      {
        schema: {
          operationId: 'destroyRoom',
          summary: 'Destroy a room: occupants are told and everything stored for it goes',
          tags: ['muc'],
          params: RoomParams,
          querystring: obj({
            reason: Type.Optional(
              Type.String({ description: 'Told to the occupants', maxLength: 1024 }),
            ),
            alternate: Type.Optional(
              Type.String({ description: 'JID of a room to go to instead', minLength: 3 }),
            ),
          }),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const d = xml('destroy', { jid: req.query.alternate });
        if (req.query.reason) d.c('reason').t(req.query.reason);
        await muc.iq(room, 'set', xml('query', { xmlns: NS_MUC_OWNER }, d));
        ctx.logger.info('room destroyed by the admin API', { room });
        return reply.code(204).send();
      },
    );

    app.get(
      '/muc/rooms/:room/messages',
      {
        schema: {
          operationId: 'getRoomMessages',
          summary: "A room's history, newest first, from its archive (XEP-0313)",
          tags: ['muc'],
          params: RoomParams,
          querystring: pageQuery(config),
          response: {
            200: ok('A page of archived messages', page(RoomMessage)),
            ...problems('not-found', 'unavailable'),
          },
        },
        // User content: tokens with the data scope only (docs/admin-api.md).
        config: { scope: 'data' },
      },
      async (req) => {
        const room = pathRoom(ctx, req);
        const res = await stores.archive.query(room, {
          limit: req.query.limit,
          fromEnd: true,
          ...(req.query.after !== undefined ? { beforeId: req.query.after } : {}),
        });
        const items = [...res.items].reverse().map((m) => ({
          ...archivedView(m),
          ...(m.withResource ? { nick: m.withResource } : {}),
        }));
        const oldest = res.items[0];
        return { items, ...(!res.complete && oldest ? { next: oldest.id } : {}) };
      },
    );
  };
}
