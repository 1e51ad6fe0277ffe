/**
 * MUC occupants and affiliations (XEP-0045): list, set roles (kick =
 * role none) and affiliations (ban = outcast), invite, and talk in a room.
 * The occupant list needs a moderator inside the room, so the API enters
 * the room for the time of the request (occupants see it come and go).
 */
import type { FastifyPluginAsync } from 'fastify';
import { randomUUID } from 'node:crypto';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { checkJid } from '../auth.js';
import type { ApiContext } from '../context.js';
import { anyJid } from '../jids.js';
import { NS_MUC_USER } from '../muc-client.js';
import { ACCEPTED, BARE_JID, JID, NO_CONTENT, obj, ok, params, str } from '../schemas.js';
import { MUC_PROBLEMS, NS_MUC_ADMIN, pathRoom, roomInfo } from './muc-rooms.js';

const ROLES = ['moderator', 'participant', 'visitor'] as const;
const AFFILIATIONS = ['owner', 'admin', 'member', 'outcast'] as const;
const REASON = str('Reason told to the occupant', { maxLength: 1024 });
const nickParams = params({ room: 'Bare JID of the room', nick: 'Nickname of the occupant' });
const jidParams = params({ room: 'Bare JID of the room', jid: 'Bare JID of the user' });

const occupantSchema = obj(
  { nick: str(), role: str(), affiliation: str(), jid: str('Real full JID') },
  ['nick', 'role', 'affiliation'],
);
const affiliationSchema = obj(
  { jid: BARE_JID, affiliation: str(), nick: str('Reserved nickname'), reason: str() },
  ['jid', 'affiliation'],
);

const items = (res: Element) => res.getChild('query', NS_MUC_ADMIN)?.getChildren('item') ?? [];

export function mucOccupantsRoutes(ctx: ApiContext): FastifyPluginAsync {
  const { muc } = ctx;
  const adminSet = (room: string, item: Element) =>
    muc.iq(room, 'set', xml('query', { xmlns: NS_MUC_ADMIN }, item));

  return async (app) => {
    app.get<{ Params: { room: string } }>(
      '/muc/rooms/:room/occupants',
      {
        schema: {
          operationId: 'listRoomOccupants',
          summary: "A room's occupants with their roles, affiliations and real JIDs",
          tags: ['muc'],
          params: params({ room: 'Bare JID of the room' }),
          response: {
            200: ok(
              'The occupants',
              obj({ items: { type: 'array', items: occupantSchema } }, ['items']),
            ),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req) => {
        const room = pathRoom(ctx, req);
        await roomInfo(ctx, room); // 404 rather than creating the room by entering it
        const nick = `admin-api-${ctx.instance}`;
        await muc.join(room, nick);
        const out: Array<Record<string, string>> = [];
        try {
          for (const role of ROLES) {
            const res = await muc.iq(
              room,
              'get',
              xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { role })),
            );
            for (const i of items(res)) {
              if (i.attr('nick') === nick) continue;
              const o: Record<string, string> = {
                nick: i.attr('nick') ?? '',
                role: i.attr('role') ?? role,
                affiliation: i.attr('affiliation') ?? 'none',
              };
              const jid = i.attr('jid');
              if (jid) o['jid'] = jid;
              out.push(o);
            }
          }
        } finally {
          await muc.leave(room, nick);
        }
        out.sort((a, b) => (a['nick']! < b['nick']! ? -1 : 1));
        return { items: out };
      },
    );

    app.put<{ Params: { room: string; nick: string }; Body: { role: string; reason?: string } }>(
      '/muc/rooms/:room/occupants/:nick/role',
      {
        schema: {
          operationId: 'setRoomRole',
          summary: "Set an occupant's role (none kicks it)",
          tags: ['muc'],
          params: nickParams,
          body: obj({ role: str('New role', { enum: [...ROLES, 'none'] }), reason: REASON }, [
            'role',
          ]),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const item = xml('item', { nick: req.params.nick, role: req.body.role });
        if (req.body.reason) item.c('reason').t(req.body.reason);
        await adminSet(room, item);
        return reply.code(204).send();
      },
    );

    app.delete<{ Params: { room: string; nick: string }; Querystring: { reason?: string } }>(
      '/muc/rooms/:room/occupants/:nick',
      {
        schema: {
          operationId: 'kickRoomOccupant',
          summary: 'Kick an occupant out of a room',
          tags: ['muc'],
          params: nickParams,
          querystring: obj({ reason: REASON }),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const item = xml('item', { nick: req.params.nick, role: 'none' });
        if (req.query.reason) item.c('reason').t(req.query.reason);
        await adminSet(room, item);
        return reply.code(204).send();
      },
    );

    app.get<{ Params: { room: string } }>(
      '/muc/rooms/:room/affiliations',
      {
        schema: {
          operationId: 'listRoomAffiliations',
          summary: "A room's owners, admins, members and outcasts",
          tags: ['muc'],
          params: params({ room: 'Bare JID of the room' }),
          response: {
            200: ok(
              'The affiliations',
              obj({ items: { type: 'array', items: affiliationSchema } }, ['items']),
            ),
            ...MUC_PROBLEMS,
          },
        },
      },
      async (req) => {
        const room = pathRoom(ctx, req);
        const out: Array<Record<string, string>> = [];
        for (const affiliation of AFFILIATIONS) {
          const res = await muc.iq(
            room,
            'get',
            xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation })),
          );
          for (const i of items(res)) {
            const a: Record<string, string> = { jid: i.attr('jid') ?? '', affiliation };
            const nick = i.attr('nick');
            const reason = i.getChildText('reason');
            if (nick) a['nick'] = nick;
            if (reason) a['reason'] = reason;
            out.push(a);
          }
        }
        return { items: out };
      },
    );

    app.put<{
      Params: { room: string; jid: string };
      Body: { affiliation: string; reason?: string };
    }>(
      '/muc/rooms/:room/affiliations/:jid',
      {
        schema: {
          operationId: 'setRoomAffiliation',
          summary: "Set a user's affiliation with a room (outcast bans, none removes)",
          tags: ['muc'],
          params: jidParams,
          body: obj(
            {
              affiliation: str('New affiliation', { enum: [...AFFILIATIONS, 'none'] }),
              reason: REASON,
            },
            ['affiliation'],
          ),
          response: { 204: NO_CONTENT, ...MUC_PROBLEMS },
        },
      },
      async (req, reply) => {
        const room = pathRoom(ctx, req);
        const jid = anyJid(req.params.jid, 'jid').toBareString();
        const item = xml('item', { jid, affiliation: req.body.affiliation });
        if (req.body.reason) item.c('reason').t(req.body.reason);
        await adminSet(room, item);
        return reply.code(204).send();
      },
    );

    app.post<{ Params: { room: string }; Body: { to: string; reason?: string } }>(
      '/muc/rooms/:room/invitations',
      {
        schema: {
          operationId: 'inviteToRoom',
          summary: 'Invite a user to a room (a mediated invitation from the room)',
          tags: ['muc'],
          params: params({ room: 'Bare JID of the room' }),
          body: obj({ to: JID, reason: REASON }, ['to']),
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

    app.post<{ Params: { room: string }; Body: { body: string; from?: string; nick?: string } }>(
      '/muc/rooms/:room/messages',
      {
        schema: {
          operationId: 'sendRoomMessage',
          summary: 'Send a message to a room',
          description:
            'From `from` (the full JID of an occupant), or from the API itself, which enters ' +
            'the room as `nick` (default "admin"), speaks and leaves.',
          tags: ['muc'],
          params: params({ room: 'Bare JID of the room' }),
          body: obj(
            {
              body: str('Message text', { minLength: 1, maxLength: 65536 }),
              from: { ...JID, description: 'Full JID of an occupant to speak as' },
              nick: str('Nickname the API speaks with', { minLength: 1, maxLength: 256 }),
            },
            ['body'],
          ),
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
