/** Connected resources: list and count (all workers), per user, kick, set presence. */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { xml } from '@parley/xml';
import { listDomain, pathAccount } from '../auth.js';
import type { ApiContext } from '../context.js';
import { notFound } from '../problem.js';
import {
  NO_CONTENT,
  bool,
  int,
  obj,
  ok,
  page,
  pageQuery,
  params,
  problems,
  ref,
  str,
  userParams,
} from '../schemas.js';
import { pageOf } from '../paging.js';

const COMPLETE = bool('Every partition answered (false while partitions move between workers)');
const resourceParams = params({ jid: 'Bare JID of the account', resource: 'Resource' });
const REASON = obj({
  reason: str('Text of the stream error the client gets', { maxLength: 1024 }),
});

export function sessionsRoutes(ctx: ApiContext): FastifyPluginAsync {
  const { config, registry } = ctx;
  return async (app) => {
    const userSessions = async (jid: string) =>
      (await registry.request({ t: 'admin-sessions', jid })).sessions ?? [];

    app.get<{ Querystring: { limit: number; after?: string; domain?: string } }>(
      '/sessions',
      {
        schema: {
          operationId: 'listSessions',
          summary: 'List the sessions of every user, ordered by full JID',
          tags: ['sessions'],
          querystring: pageQuery(config, { domain: str('Only this domain', { minLength: 1 }) }),
          response: {
            200: ok('A page of sessions', page(ref('Session'), { complete: COMPLETE })),
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

    app.get<{ Querystring: { domain?: string } }>(
      '/sessions/count',
      {
        schema: {
          operationId: 'countSessions',
          summary: 'Count sessions (and, without a domain, online users)',
          tags: ['sessions'],
          querystring: obj({ domain: str('Only this domain', { minLength: 1 }) }),
          response: {
            200: ok(
              'The counts',
              obj(
                {
                  sessions: int(),
                  users: int('Online users (without a domain)'),
                  complete: COMPLETE,
                },
                ['sessions', 'complete'],
              ),
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

    app.get<{ Params: { jid: string }; Querystring: { limit: number; after?: string } }>(
      '/users/:jid/sessions',
      {
        schema: {
          operationId: 'listUserSessions',
          summary: "A user's sessions (resources)",
          tags: ['sessions'],
          params: userParams,
          querystring: pageQuery(config),
          response: { 200: ok('A page of sessions', page(ref('Session'))) },
        },
      },
      async (req) => {
        const list = await userSessions(pathAccount(config, req));
        list.sort((a, b) => (a.jid < b.jid ? -1 : 1));
        return pageOf(list, (s) => s.jid, req.query.limit, req.query.after);
      },
    );

    const kick = async (
      req: FastifyRequest<{
        Params: { jid: string; resource?: string };
        Querystring: { reason?: string };
      }>,
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
    const kicked = ok('Sessions closed', obj({ kicked: int() }, ['kicked']));

    app.delete<{ Params: { jid: string }; Querystring: { reason?: string } }>(
      '/users/:jid/sessions',
      {
        schema: {
          operationId: 'kickUser',
          summary: 'Close every session of a user',
          tags: ['sessions'],
          params: userParams,
          querystring: REASON,
          response: { 200: kicked, ...problems('timeout') },
        },
      },
      kick,
    );

    app.delete<{ Params: { jid: string; resource: string }; Querystring: { reason?: string } }>(
      '/users/:jid/sessions/:resource',
      {
        schema: {
          operationId: 'kickSession',
          summary: 'Close one session',
          tags: ['sessions'],
          params: resourceParams,
          querystring: REASON,
          response: { 200: kicked, ...problems('not-found', 'timeout') },
        },
      },
      kick,
    );

    app.put<{
      Params: { jid: string; resource: string };
      Body: {
        type?: 'available' | 'unavailable';
        show?: string;
        status?: string;
        priority?: number;
      };
    }>(
      '/users/:jid/sessions/:resource/presence',
      {
        schema: {
          operationId: 'setPresence',
          summary: "Set a session's presence, as if its client had sent it",
          tags: ['sessions'],
          params: resourceParams,
          body: obj({
            type: str('available (default) or unavailable', { enum: ['available', 'unavailable'] }),
            show: str('Availability', { enum: ['away', 'chat', 'dnd', 'xa'] }),
            status: str('Status text', { maxLength: 1024 }),
            priority: int('Priority', { minimum: -128, maximum: 127 }),
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
