/**
 * Client addresses refused after repeated failed logins (issue 15;
 * docs/security.md, "Login and registration throttling"): list them, and
 * lift a refusal early (an office that mistyped a shared password).
 * Addresses are keyed like the gateways key them (`addressKey` of
 * @parley/cluster): an IPv4 address stands for itself, an IPv6 address for
 * its /64.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { addressKey } from '@parley/cluster';
import type { LoginLimits } from '@parley/cluster';
import type { ApiContext } from '../context.js';
import { byKey, pageOf } from '../paging.js';
import { ApiProblem, badRequest, notFound } from '../problem.js';
import { NO_CONTENT, obj, ok, page, pageQuery, problems } from '../schemas.js';

const Refusal = obj({
  address: Type.String({
    description: 'The refused address as the limits key it: 203.0.113.7, 2001:db8:1:2::/64',
  }),
  until: Type.Integer({ description: 'When the refusal ends (ms since epoch)' }),
  failures: Type.Integer({ description: 'Failed logins that led to it' }),
});

const AddressParams = obj({
  address: Type.String({
    description:
      'An IPv4 or IPv6 address (any address of a refused /64, or the /64 as listed, ' +
      'e.g. 2001:db8:1:2::/64 written 2001:db8:1:2::%2F64)',
    minLength: 2,
    maxLength: 100,
  }),
});

/**
 * The limits key of `text` (an IPv4 address, an IPv6 address, or an IPv6
 * /64 written `<address>/64`), or undefined when it is none of these.
 */
export function refusalKey(text: string): string | undefined {
  const bare = text.endsWith('/64') ? text.slice(0, -3) : text;
  if (isIPv6(bare)) return addressKey(text);
  if (bare === text && isIPv4(text)) return addressKey(text);
  return undefined;
}

export function loginRefusalsRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  const store = (): LoginLimits => {
    if (ctx.loginLimits === undefined)
      throw new ApiProblem('unavailable', 'this process has no access to the login limits');
    return ctx.loginLimits;
  };
  return async (app) => {
    app.get(
      '/login-refusals',
      {
        schema: {
          operationId: 'listLoginRefusals',
          summary: 'Client addresses refused after repeated failed logins, ordered by address',
          description:
            'Addresses refused for c2s.loginLimits.refuseForMs after ' +
            'c2s.loginLimits.refuseAfterFailures failed logins: their new connections are ' +
            'closed with policy-violation on every gateway (docs/security.md).',
          tags: ['server'],
          querystring: pageQuery(ctx.config),
          response: {
            200: ok('Refused addresses', page(Refusal)),
            ...problems('domain-not-allowed', 'unavailable'),
          },
        },
        config: { global: true },
      },
      async (req) => {
        const all = (await store().refusals()).sort(byKey((r) => r.address));
        return pageOf(all, (r) => r.address, req.query.limit, req.query.after);
      },
    );

    app.delete(
      '/login-refusals/:address',
      {
        schema: {
          operationId: 'liftLoginRefusal',
          summary: 'Lift the refusal of a client address and forget its failed logins',
          description:
            'An IPv6 address lifts the refusal of its /64. The address may log in at once, ' +
            'on every gateway; its failures start again from zero.',
          tags: ['server'],
          params: AddressParams,
          response: {
            204: NO_CONTENT,
            ...problems('bad-request', 'domain-not-allowed', 'not-found', 'unavailable'),
          },
        },
        config: { global: true },
      },
      async (req, reply) => {
        const key = refusalKey(req.params.address);
        if (key === undefined)
          throw badRequest(`not an IPv4 or IPv6 address (or IPv6 /64): ${req.params.address}`);
        if (!(await store().lift(key))) throw notFound(`the address ${key} is not refused`);
        ctx.logger.info('login refusal lifted by the admin API', { address: key });
        return reply.code(204).send();
      },
    );
  };
}
