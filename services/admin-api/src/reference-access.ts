/**
 * Who may read the API reference (/openapi.json, /docs and its assets), and
 * where (issue 15). With ops.requireToken a request needs any valid admin
 * token; with ops.port the reference is served by the process's ops
 * listener only (through `opsRoutes`), and the API's own listener answers
 * 404 for it.
 */
import { opsAccess } from '@parley/config';
import type { Config } from '@parley/config';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiProblem, notFound } from './problem.js';

const REALM = 'Bearer realm="parley-admin"';

export function isReferencePath(url: string): boolean {
  const path = url.split('?', 1)[0] ?? url;
  return path === '/openapi.json' || path === '/docs' || path.startsWith('/docs/');
}

/**
 * Guards the reference routes of `app`; returns the handler the ops
 * listener calls for them (requests it hands over are let through here).
 */
export function installReferenceAccess(
  app: FastifyInstance,
  config: Pick<Config, 'ops' | 'admin'>,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const viaOps = new WeakSet<IncomingMessage>();
  const separate = config.ops.port !== 0;
  app.addHook('onRequest', async (req, reply) => {
    if (!isReferencePath(req.url)) return;
    if (separate && !viaOps.has(req.raw))
      throw notFound(`the API reference is served on the ops listener (ops.port)`);
    const access = opsAccess(config, req.headers.authorization, 'reference');
    if (access !== 'ok') {
      reply.header(
        'www-authenticate',
        req.headers.authorization ? `${REALM}, error="invalid_token"` : REALM,
      );
      throw new ApiProblem(
        'unauthorized',
        'the API reference needs Authorization: Bearer <token> (ops.requireToken)',
      );
    }
  });
  return (req, res) => {
    if (!separate || !isReferencePath(req.url ?? '/')) return false;
    viaOps.add(req);
    app.routing(req, res);
    return true;
  };
}
