/** Connected resources: list and count (all workers), per user, kick, set presence. */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { xml } from '@parley/xml';
import { listDomain, pathAccount } from '../auth.js';
import type { Authorized } from '../auth.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../problem.js';
import {
  DOMAIN,
  NO_CONTENT,
  Session,
  StringEnum,
  UserParams,
  obj,
  ok,
  page,
  pageQuery,
  params,
  problems,
  ref,
} from '../schemas.js';
import { pageOf } from '../paging.js';

const COMPLETE = Type.Boolean({
  description: 'Every partition answered (false while partitions move between workers)',
});
const ResourceParams = params({ jid: 'Bare JID of the account', resource: 'Resource' });
const KickQuery = obj({
  reason: Type.Optional(
    Type.String({ description: 'Text of the stream error the client gets', maxLength: 1024 }),
  ),
});
const Kicked = ok('Sessions closed', obj({ kicked: Type.Integer() }));

export function sessionsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, registry } = ctx;
  return async (app) => {
    const userSessions = async (jid: string) =>
      (await registry.request({ t: 'admin-sessions', jid })).sessions ?? [];

    app.get(
      '/sessions',
      {
        schema: {
          operationId: 'listSessions',
          summary: 'List the sessions of every user, ordered by full JID',
          tags: ['sessions'],
          querystring: pageQuery(config, { domain: Type.Optional(DOMAIN) }),
          response: {
            200: ok('A page of sessions', page(ref(Session), { complete: COMPLETE })),
            ...problems('timeout'),
          },
        },
      },
      async (req) => {
        const domain = listDomain(req, req.query.domain);
        const { limit, after } = req.query;
        const g = await registry.gather({
          t: 'sessions',
          limit: limit + 1,
          ...(domain !== undefined ? { domain } : {}),
          ...(after !== undefined ? { after } : {}),
        });
        const all = g.answers.flatMap((a) => a.list ?? []);
        all.sort((a, b) => (a.jid < b.jid ? -1 : a.jid > b.jid ? 1 : 0));
        return { ...pageOf(all, (s) => s.jid, limit, undefined), complete: g.complete };
      },
    );

    app.get(
      '/sessions/count',
      {
        schema: {
          operationId: 'countSessions',
          summary: 'Count sessions (and, without a domain, online users)',
          tags: ['sessions'],
          querystring: obj({ domain: Type.Optional(DOMAIN) }),
          response: {
            200: ok(
              'The counts',
              obj({
                sessions: Type.Integer(),
                users: Type.Optional(
                  Type.Integer({ description: 'Online users (without a domain)' }),
                ),
                complete: COMPLETE,
              }),
            ),
            ...problems('timeout'),
          },
        },
      },
      async (req) => {
        const domain = listDomain(req, req.query.domain);
        if (domain !== undefined) {
          const g = await registry.gather({ t: 'sessions', domain, limit: 0 });
          const sessions = g.answers.reduce((n, a) => n + (a.matching ?? 0), 0);
          return { sessions, complete: g.complete };
        }
        const g = await registry.gather({ t: 'stats' });
        return {
          sessions: g.answers.reduce((n, a) => n + a.sessions, 0),
          users: g.answers.reduce((n, a) => n + a.users, 0),
          complete: g.complete,
        };
      },
    );

    app.get(
      '/users/:jid/sessions',
      {
        schema: {
          operationId: 'listUserSessions',
          summary: "A user's sessions (resources)",
          tags: ['sessions'],
          params: UserParams,
          querystring: pageQuery(config),
          response: { 200: ok('A page of sessions', page(ref(Session))) },
        },
      },
      async (req) => {
        const list = await userSessions(pathAccount(config, req));
        list.sort((a, b) => (a.jid < b.jid ? -1 : 1));
        return pageOf(list, (s) => s.jid, req.query.limit, req.query.after);
      },
    );

    const kick = async (
      req: Authorized & {
        params: Static<typeof UserParams> & Partial<Static<typeof ResourceParams>>;
        query: Static<typeof KickQuery>;
      },
    ) => {
      const jid = pathAccount(config, req);
      const r = await registry.request({
        t: 'admin-kick',
        jid,
        ...(req.params.resource !== undefined ? { resource: req.params.resource } : {}),
        ...(req.query.reason !== undefined ? { text: req.query.reason } : {}),
      });
      if (req.params.resource !== undefined && !r.kicked)
        throw notFound(`no session ${jid}/${req.params.resource}`);
      ctx.logger.info('sessions kicked by the admin API', { jid, kicked: r.kicked });
      return { kicked: r.kicked ?? 0 };
    };

    app.delete(
      '/users/:jid/sessions',
      {
        schema: {
          operationId: 'kickUser',
          summary: 'Close every session of a user',
          tags: ['sessions'],
          params: UserParams,
          querystring: KickQuery,
          response: { 200: Kicked, ...problems('timeout') },
        },
      },
      kick,
    );

    app.delete(
      '/users/:jid/sessions/:resource',
      {
        schema: {
          operationId: 'kickSession',
          summary: 'Close one session',
          tags: ['sessions'],
          params: ResourceParams,
          querystring: KickQuery,
          response: { 200: Kicked, ...problems('not-found', 'timeout') },
        },
      },
      kick,
    );

    app.put(
      '/users/:jid/sessions/:resource/presence',
      {
        schema: {
          operationId: 'setPresence',
          summary: "Set a session's presence, as if its client had sent it",
          tags: ['sessions'],
          params: ResourceParams,
          body: obj({
            type: Type.Optional(
              StringEnum(['available', 'unavailable'], {
                description: 'available (default) or unavailable',
              }),
            ),
            show: Type.Optional(
              StringEnum(['away', 'chat', 'dnd', 'xa'], { description: 'Availability' }),
            ),
            status: Type.Optional(Type.String({ description: 'Status text', maxLength: 1024 })),
            priority: Type.Optional(
              Type.Integer({ description: 'Priority', minimum: -128, maximum: 127 }),
            ),
          }),
          response: { 204: NO_CONTENT, ...problems('not-found', 'timeout') },
        },
      },
      async (req, reply) => {
        const jid = pathAccount(config, req);
        const full = `${jid}/${req.params.resource}`;
        if (!(await userSessions(jid)).some((s) => s.jid === full))
          throw notFound(`no session ${full}`);
        const b = req.body;
        const p = xml('presence', {
          from: full,
          type: b.type === 'unavailable' ? 'unavailable' : undefined,
        });
        if (b.show) p.c('show').t(b.show);
        if (b.status) p.c('status').t(b.status);
        if (b.priority !== undefined) p.c('priority').t(String(b.priority));
        await ctx.router.send(p, 'out');
        return reply.code(204).send();
      },
    );
  };
}
