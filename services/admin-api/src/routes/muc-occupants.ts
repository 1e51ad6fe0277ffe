/**
 * MUC occupants and affiliations (XEP-0045): list, set roles (kick =
 * role none) and affiliations (ban = outcast), invite, and talk in a room.
 * The occupant list needs a moderator inside the room, so the API enters
 * the room for the time of the request (occupants see it come and go).
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { randomUUID } from 'node:crypto';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { checkJid } from '../auth.js';
import type { ApiContext } from '../context.js';
import { anyJid } from '../jids.js';
import { NS_MUC_ADMIN, NS_MUC_USER } from '../muc-client.js';
import {
  ACCEPTED,
  BARE_JID,
  JID,
  NO_CONTENT,
  RoomParams,
  StringEnum,
  obj,
  ok,
  params,
  described,
} from '../schemas.js';
import { MUC_PROBLEMS, pathRoom, roomInfo } from './muc-rooms.js';

const ROLES = ['moderator', 'participant', 'visitor'] as const;
const AFFILIATIONS = ['owner', 'admin', 'member', 'outcast'] as const;
const REASON = Type.Optional(
  Type.String({ description: 'Reason told to the occupant', maxLength: 1024 }),
);
const NickParams = obj({
  ...RoomParams.properties,
  ...params({ nick: 'Nickname of the occupant' }).properties,
});
const UserOfRoomParams = obj({
  ...RoomParams.properties,
  ...params({ jid: 'Bare JID of the user' }).properties,
});

const Occupant = obj({
  nick: Type.String(),
  role: Type.String(),
  affiliation: Type.String(),
  jid: Type.Optional(Type.String({ description: 'Real full JID' })),
});
const Affiliation = obj({
  jid: BARE_JID,
  affiliation: Type.String(),
  nick: Type.Optional(Type.String({ description: 'Reserved nickname' })),
  reason: Type.Optional(Type.String()),
});

const items = (res: Element) => res.getChild('query', NS_MUC_ADMIN)?.getChildren('item') ?? [];

export function mucOccupantsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { muc } = ctx;

  return async (app) => {
    app.get(
      '/muc/rooms/:room/occupants',
      {
        schema: {
          operationId: 'listRoomOccupants',
          summary: "A room's occupants with their roles, affiliations and real JIDs",
          tags: ['muc'],
          params: RoomParams,
          response: {
            200: ok('The occupants', obj({ items: Type.Array(Occupant) })),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req) => {
        const room = pathRoom(ctx, req);
        await roomInfo(ctx, room); // 404 rather than creating the room by entering it
        const nick = `admin-api-${ctx.instance}`;
        await muc.join(room, nick);
        const out: Array<Static<typeof Occupant>> = [];
        try {
          for (const role of ROLES) {
            const res = await muc.admin(room, 'get', xml('item', { role }));
            for (const i of items(res)) {
              if (i.attr('nick') === nick) continue;
              const o: Static<typeof Occupant> = {
                nick: i.attr('nick') ?? '',
                role: i.attr('role') ?? role,
                affiliation: i.attr('affiliation') ?? 'none',
              };
              const jid = i.attr('jid');
              if (jid) o.jid = jid;
              out.push(o);
            }
          }
        } finally {
          await muc.leave(room, nick);
        }
        out.sort((a, b) => (a.nick < b.nick ? -1 : 1));
        return { items: out };
      },
    );

    app.put(
      '/muc/rooms/:room/occupants/:nick/role',
      {
        schema: {
          operationId: 'setRoomRole',
          summary: "Set an occupant's role (none kicks it)",
          tags: ['muc'],
          params: NickParams,
          body: obj({
            role: StringEnum([...ROLES, 'none'], { description: 'New role' }),
            reason: REASON,
          }),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const item = xml('item', { nick: req.params.nick, role: req.body.role });
        if (req.body.reason) item.c('reason').t(req.body.reason);
        await muc.admin(room, 'set', item);
        return reply.code(204).send();
      },
    );

    app.delete(
      '/muc/rooms/:room/occupants/:nick',
      {
        schema: {
          operationId: 'kickRoomOccupant',
          summary: 'Kick an occupant out of a room',
          tags: ['muc'],
          params: NickParams,
          querystring: obj({ reason: REASON }),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const item = xml('item', { nick: req.params.nick, role: 'none' });
        if (req.query.reason) item.c('reason').t(req.query.reason);
        await muc.admin(room, 'set', item);
        return reply.code(204).send();
      },
    );

    app.get(
      '/muc/rooms/:room/affiliations',
      {
        schema: {
          operationId: 'listRoomAffiliations',
          summary: "A room's owners, admins, members and outcasts",
          tags: ['muc'],
          params: RoomParams,
          response: {
            200: ok('The affiliations', obj({ items: Type.Array(Affiliation) })),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req) => {
        const room = pathRoom(ctx, req);
        const out: Array<Static<typeof Affiliation>> = [];
        for (const affiliation of AFFILIATIONS) {
          const res = await muc.admin(room, 'get', xml('item', { affiliation }));
          for (const i of items(res)) {
            const a: Static<typeof Affiliation> = { jid: i.attr('jid') ?? '', affiliation };
            const nick = i.attr('nick');
            const reason = i.getChildText('reason');
            if (nick) a.nick = nick;
            if (reason) a.reason = reason;
            out.push(a);
          }
        }
        return { items: out };
      },
    );

    app.put(
      '/muc/rooms/:room/affiliations/:jid',
      {
        schema: {
          operationId: 'setRoomAffiliation',
          summary: "Set a user's affiliation with a room (outcast bans, none removes)",
          tags: ['muc'],
          params: UserOfRoomParams,
          body: obj({
            affiliation: StringEnum([...AFFILIATIONS, 'none'], { description: 'New affiliation' }),
            reason: REASON,
          }),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const jid = anyJid(req.params.jid, 'jid').toBareString();
        const item = xml('item', { jid, affiliation: req.body.affiliation });
        if (req.body.reason) item.c('reason').t(req.body.reason);
        await muc.admin(room, 'set', item);
        return reply.code(204).send();
      },
    );

    app.post(
      '/muc/rooms/:room/invitations',
      {
        schema: {
          operationId: 'inviteToRoom',
          summary: 'Invite a user to a room (a mediated invitation from the room)',
          tags: ['muc'],
          params: RoomParams,
          body: obj({ to: JID, reason: REASON }),
          response: { 202: ACCEPTED('Invitation sent'), ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const to = anyJid(req.body.to, 'to').toString();
        checkJid(req, to);
        await roomInfo(ctx, room);
        const id = randomUUID();
        const invite = xml('invite', { to });
        if (req.body.reason) invite.c('reason').t(req.body.reason);
        await muc.send(xml('message', { to: room, id }, xml('x', { xmlns: NS_MUC_USER }, invite)));
        return reply.code(202).send({ id });
      },
    );

    app.post(
      '/muc/rooms/:room/messages',
      {
        schema: {
          operationId: 'sendRoomMessage',
          summary: 'Send a message to a room',
          description:
            'From `from` (the full JID of an occupant), or from the API itself, which enters ' +
            'the room as `nick` (default "admin"), speaks and leaves.',
          tags: ['muc'],
          params: RoomParams,
          body: obj({
            body: Type.String({ description: 'Message text', minLength: 1, maxLength: 65536 }),
            from: Type.Optional(described(JID, 'Full JID of an occupant to speak as')),
            nick: Type.Optional(
              Type.String({
                description: 'Nickname the API speaks with',
                minLength: 1,
                maxLength: 256,
              }),
            ),
          }),
          response: { 202: ACCEPTED('Sent'), ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const id = randomUUID();
        const m = xml(
          'message',
          { to: room, type: 'groupchat', id },
          xml('body', {}, req.body.body),
        );
        if (req.body.from !== undefined) {
          const from = anyJid(req.body.from, 'from');
          checkJid(req, from.toString());
          m.setAttr('from', from.toString());
          await muc.send(m);
          return reply.code(202).send({ id });
        }
        await roomInfo(ctx, room);
        const nick = req.body.nick ?? 'admin';
        await muc.join(room, nick);
        try {
          await muc.send(m);
        } finally {
          await muc.leave(room, nick);
        }
        return reply.code(202).send({ id });
      },
    );
  };
}
