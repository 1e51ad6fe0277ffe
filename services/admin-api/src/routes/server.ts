/** Server status, statistics (online users total and per node, messages/s) and metrics. */
import type { FastifyPluginAsync } from 'fastify';
import { listDomain } from '../auth.js';
import type { ApiContext } from '../context.js';
import { API_VERSION } from '../openapi.js';
import { bool, int, obj, ok, problems, str } from '../schemas.js';

const num = (description: string) => ({ type: 'number', description });
const STRINGS = { type: 'array', items: str() };

export function serverRoutes(ctx: ApiContext): FastifyPluginAsync {
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
            200: ok(
              'Status',
              obj(
                {
                  status: str('running', { enum: ['running'] }),
                  version: str('Admin API version'),
                  node: str('Node id of the API process'),
                  uptimeSeconds: int('Uptime of the API process'),
                  domains: STRINGS,
                  mucDomains: STRINGS,
                },
                ['status', 'version', 'node', 'uptimeSeconds', 'domains', 'mucDomains'],
              ),
            ),
          },
        },
      },
      async () => ({
        status: 'running',
        version: API_VERSION,
        node: config.server.nodeId,
        uptimeSeconds: uptime(),
        domains: config.server.domains,
        mucDomains: config.muc.enabled
          ? config.server.domains.map((d) => `${config.muc.subdomain}.${d}`)
          : [],
      }),
    );

    app.get<{ Querystring: { domain?: string } }>(
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
          querystring: obj({ domain: str('Only this domain', { minLength: 1 }) }),
          response: {
            200: ok(
              'Statistics',
              obj(
                {
                  registeredUsers: int(),
                  onlineSessions: int(),
                  onlineUsers: int('Users with at least one session (all domains only)'),
                  messagesPerSecond: num('Messages delivered per second over the last minute'),
                  uptimeSeconds: int('Uptime of the API process'),
                  complete: bool('Every partition answered'),
                  nodes: {
                    type: 'array',
                    items: obj(
                      {
                        node: str('Session-registry worker'),
                        partitions: int('Partitions it owns'),
                        sessions: int(),
                        users: int(),
                        messagesPerSecond: num('Messages delivered per second'),
                      },
                      ['node', 'partitions', 'sessions', 'users', 'messagesPerSecond'],
                    ),
                  },
                  gateways: {
                    type: 'array',
                    items: obj({ gateway: str(), sessions: int() }, ['gateway', 'sessions']),
                  },
                },
                [
                  'registeredUsers',
                  'onlineSessions',
                  'messagesPerSecond',
                  'uptimeSeconds',
                  'complete',
                  'nodes',
                  'gateways',
                ],
              ),
            ),
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
              content: { 'text/plain': { schema: { type: 'string' } } },
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
