/**
 * Inactive accounts: not connected, and last logged out (or, never having
 * logged in, created) more than `days` days ago. Listed and removed by
 * scanning the accounts in JID order, a bounded number per request: a page
 * may hold fewer than `limit` items and still have a `next`.
 */
import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Config } from '@parley/config';
import { listDomain } from '../auth.js';
import type { Authorized } from '../auth.js';
import type { ApiContext } from '../context.js';
import { BARE_JID, DOMAIN, obj, ok, page, pageQuery, problems } from '../schemas.js';
import { removeAccount } from './users.js';

const SCAN_PER_REQUEST = 10_000;
const DAY_MS = 86_400_000;

const Inactive = obj({
  jid: BARE_JID,
  createdAt: Type.Integer({ description: 'ms since epoch' }),
  lastActivity: Type.Optional(Type.Integer({ description: 'Last logout, ms since epoch' })),
});
type Inactive = Static<typeof Inactive>;

const inactiveQuery = (config: Config) =>
  pageQuery(config, {
    days: Type.Integer({
      description: 'Inactive for more than this many days',
      minimum: 1,
      maximum: 36500,
    }),
    domain: Type.Optional(DOMAIN),
  });
type InactiveQuery = Static<ReturnType<typeof inactiveQuery>>;

async function scan(
  ctx: ApiContext,
  req: Authorized & { query: InactiveQuery },
): Promise<{ items: Inactive[]; next?: string }> {
  const { stores } = ctx;
  const domain = listDomain(req, req.query.domain);
  const cutoff = Date.now() - req.query.days * DAY_MS;
  const items: Inactive[] = [];
  let after = req.query.after;
  let scanned = 0;
  for (;;) {
    const batch = await stores.accounts.list({
      limit: Math.min(500, SCAN_PER_REQUEST - scanned),
      ...(after !== undefined ? { after } : {}),
      ...(domain !== undefined ? { domain } : {}),
    });
    for (const a of batch.items) {
      after = a.jid;
      scanned++;
      const last = await stores.lastActivity.get(a.jid);
      if ((last?.ts ?? a.createdAt) >= cutoff) continue;
      const online = await ctx.registry.request({ t: 'admin-sessions', jid: a.jid });
      if ((online.sessions ?? []).length > 0) continue;
      items.push({
        jid: a.jid,
        createdAt: a.createdAt,
        ...(last ? { lastActivity: last.ts } : {}),
      });
      if (items.length >= req.query.limit) break;
    }
    const more = batch.next !== undefined || items.length >= req.query.limit;
    if (items.length >= req.query.limit || batch.next === undefined || scanned >= SCAN_PER_REQUEST)
      return more && after !== undefined ? { items, next: after } : { items };
  }
}

export function inactiveRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const query = inactiveQuery(ctx.config);
  return async (app) => {
    app.get(
      '/users/inactive',
      {
        schema: {
          operationId: 'listInactiveUsers',
          summary: 'List accounts inactive for more than a number of days',
          tags: ['users', 'last'],
          querystring: query,
          response: { 200: ok('A page of inactive accounts', page(Inactive)) },
        },
      },
      (req) => scan(ctx, req),
    );

    app.delete(
      '/users/inactive',
      {
        schema: {
          operationId: 'removeInactiveUsers',
          summary: 'Remove accounts inactive for more than a number of days',
          description:
            'Removes up to `limit` accounts per call (each as removeUser does); call again ' +
            'with `after` = `next` until no `next` is returned.',
          tags: ['users', 'last'],
          querystring: query,
          response: {
            200: ok(
              'The accounts removed',
              obj({
                removed: Type.Array(BARE_JID),
                next: Type.Optional(Type.String({ description: 'Cursor' })),
              }),
            ),
            ...problems('domain-not-allowed'),
          },
        },
      },
      async (req) => {
        const found = await scan(ctx, req);
        const removed: string[] = [];
        for (const u of found.items) {
          await removeAccount(ctx, u.jid).then(
            () => removed.push(u.jid),
            () => undefined, // removed meanwhile
          );
        }
        return { removed, ...(found.next !== undefined ? { next: found.next } : {}) };
      },
    );
  };
}
