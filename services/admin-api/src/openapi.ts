/**
 * The OpenAPI 3 document, generated from the route schemas by
 * @fastify/swagger (so every route is in it), served at /openapi.json, and
 * rendered by @fastify/swagger-ui at /docs. Every /api operation gets the
 * bearer security requirement and the problem responses every operation
 * can give (400, 401, 403, 429, 5xx); routes add their own (404, 409...),
 * and its description names the token scope it needs.
 */
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { requiredScope } from './auth.js';
import { problems } from './schemas.js';

export const API_VERSION = '1.0.0';

export const TAGS = [
  { name: 'users', description: 'Accounts: register, remove, passwords, bans, inactive users' },
  { name: 'sessions', description: 'Connected resources: list, count, kick, presence' },
  { name: 'stanzas', description: 'Send messages and raw stanzas; read the message archive' },
  { name: 'roster', description: 'Contacts and subscriptions' },
  { name: 'vcard', description: 'vcard-temp (XEP-0054)' },
  { name: 'private', description: 'Private XML storage (XEP-0049)' },
  { name: 'offline', description: 'Offline messages (XEP-0160)' },
  { name: 'last', description: 'Last activity (XEP-0012)' },
  { name: 'muc', description: 'Multi-user chat rooms (XEP-0045)' },
  { name: 'upload', description: 'HTTP file upload (XEP-0363)' },
  { name: 'server', description: 'Status, statistics and metrics' },
  { name: 'meta', description: 'This document' },
];

/** Adds the shared parts of every /api operation's schema as routes are declared. */
function completeRoute(route: RouteOptions): void {
  if (!route.url.startsWith('/api/')) return;
  const schema = (route.schema ??= {});
  const response = (schema.response ??= {}) as Record<string, unknown>;
  const defaults = problems('validation-failed', 'unauthorized', 'insufficient-scope');
  for (const [status, value] of Object.entries(defaults)) response[status] ??= value;
  response['429'] ??= {
    ...(problems('rate-limited')['429'] as object),
    headers: {
      'Retry-After': { type: 'integer', description: 'Seconds until the limit resets' },
    },
  };
  const scope = requiredScope([route.method].flat()[0] ?? 'GET', route.config?.scope);
  const needs =
    scope === 'admin' ? 'Needs the `admin` scope.' : `Needs the \`${scope}\` scope (or \`admin\`).`;
  schema.description = schema.description ? `${schema.description}\n\n${needs}` : needs;
  response['5XX'] ??= problems('internal')['500'];
}

export async function installOpenApi(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', completeRoute);
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Parley admin API',
        version: API_VERSION,
        description:
          'Administration of a Parley XMPP server: accounts, sessions, messages, rosters, ' +
          'rooms and statistics. Authenticate with `Authorization: Bearer <token>`; errors are ' +
          'RFC 9457 problem details (application/problem+json). Token scopes: `read` reads ' +
          'what is not user content, `data` reads message archives, offline messages and ' +
          'private XML, `admin` allows everything. Requests are limited per token and per ' +
          'client address (admin.rateLimit): beyond, 429 with Retry-After. See docs/admin-api.md.',
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'A token whose SHA-256 is listed in admin.tokens',
          },
        },
      },
      security: [{ bearer: [] }],
    },
    refResolver: {
      buildLocalReference: (json, _base, _fragment, i) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`,
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get(
    '/openapi.json',
    {
      schema: {
        operationId: 'getOpenApiDocument',
        summary: 'This OpenAPI document',
        description:
          'Any valid token reads it (none with ops.requireToken off); on the ops listener when ops.port is set.',
        tags: ['meta'],
        response: {
          200: {
            description: 'The OpenAPI 3 document',
            type: 'object',
            additionalProperties: true,
          },
        },
      },
    },
    async () => app.swagger(),
  );
}
