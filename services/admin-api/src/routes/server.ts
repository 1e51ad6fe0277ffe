/** Server status, statistics (online users total and per node, messages/s) and metrics. */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { listDomain } from '../auth.js';
import type { ApiContext } from '../context.js';
import { API_VERSION } from '../openapi.js';
import { DOMAIN, StringEnum, obj, ok, problems } from '../schemas.js';

const STRINGS = Type.Array(Type.String());
const Status = obj({
  status: StringEnum(['running'], { description: 'running' }),
  version: Type.String({ description: 'Admin API version' }),
  node: Type.String({ description: 'Node id of the API process' }),
  uptimeSeconds: Type.Integer({ description: 'Uptime of the API process' }),
  domains: STRINGS,
  mucDomains: STRINGS,
});
const Stats = obj({
  registeredUsers: Type.Integer(),
  onlineSessions: Type.Integer(),
  onlineUsers: Type.Optional(
    Type.Integer({ description: 'Users with at least one session (all domains only)' }),
  ),
  messagesPerSecond: Type.Number({
    description: 'Messages delivered per second over the last minute',
  }),
  uptimeSeconds: Type.Integer({ description: 'Uptime of the API process' }),
  complete: Type.Boolean({ description: 'Every partition answered' }),
  nodes: Type.Array(
    obj({
      node: Type.String({ description: 'Session-registry worker' }),
      partitions: Type.Integer({ description: 'Partitions it owns' }),
      sessions: Type.Integer(),
      users: Type.Integer(),
      messagesPerSecond: Type.Number({ description: 'Messages delivered per second' }),
    }),
  ),
  gateways: Type.Array(obj({ gateway: Type.String(), sessions: Type.Integer() })),
});

export function serverRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const { config, stores, registry } = ctx;
  const uptime = () => Math.round((Date.now() - ctx.startedAt) / 1000);
  return async (app) => {
    app.get(
      '/status',
      {
        schema: {
          operationId: 'getStatus',
          summary: 'Whether the server runs, and what it serves',
          tags: ['server'],
          response: {
            200: ok('Status', Status),
          },
        },
      },
      async () => ({
        status: 'running' as const,
        version: API_VERSION,
        node: config.server.nodeId,
        uptimeSeconds: uptime(),
        domains: config.server.domains,
        mucDomains: config.muc.enabled
          ? config.server.domains.map((d) => `${config.muc.subdomain}.${d}`)
          : [],
      }),
    );

    app.get(
      '/stats',
      {
        schema: {
          operationId: 'getStats',
          summary:
            'Registered and online users, sessions per node and gateway, messages per second',
          description:
            "Gathered from every session-registry worker. With `domain`, only that domain's " +
            'registered users and sessions are counted.',
          tags: ['server'],
          querystring: obj({ domain: Type.Optional(DOMAIN) }),
          response: {
            200: ok('Statistics', Stats),
            ...problems('timeout'),
          },
        },
      },
      async (req) => {
        const domain = listDomain(req, req.query.domain);
        const g = await registry.gather(
          domain === undefined ? { t: 'stats' } : { t: 'sessions', domain, limit: 0 },
        );
        const gateways = new Map<string, number>();
        for (const a of g.answers)
          for (const [gw, n] of Object.entries(a.byGateway))
            gateways.set(gw, (gateways.get(gw) ?? 0) + n);
        const sum = (f: (a: (typeof g.answers)[number]) => number) =>
          g.answers.reduce((n, a) => n + f(a), 0);
        return {
          registeredUsers: await stores.accounts.count(domain),
          onlineSessions:
            domain === undefined ? sum((a) => a.sessions) : sum((a) => a.matching ?? 0),
          ...(domain === undefined ? { onlineUsers: sum((a) => a.users) } : {}),
          messagesPerSecond: Math.round(sum((a) => a.messagesPerSecond) * 100) / 100,
          uptimeSeconds: uptime(),
          complete: g.complete,
          // Per node and gateway figures are server-wide: only shown without a domain.
          nodes: (domain !== undefined ? [] : g.answers)
            .map((a) => ({
              node: a.node,
              partitions: a.partitions.length,
              sessions: a.sessions,
              users: a.users,
              messagesPerSecond: a.messagesPerSecond,
            }))
            .sort((a, b) => (a.node < b.node ? -1 : 1)),
          gateways: (domain !== undefined ? [] : [...gateways])
            .map(([gateway, sessions]) => ({ gateway, sessions }))
            .sort((a, b) => (a.gateway < b.gateway ? -1 : 1)),
        };
      },
    );

    app.get(
      '/metrics',
      {
        schema: {
          operationId: 'getMetrics',
          summary: 'Prometheus metrics of this process (the whole server when all-in-one)',
          tags: ['server'],
          response: {
            200: {
              description: 'Prometheus text format 0.0.4',
              content: { 'text/plain': { schema: Type.String() } },
            },
            ...problems('domain-not-allowed'),
          },
        },
        config: { global: true },
      },
      async (_req, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.text()),
    );
  };
}
