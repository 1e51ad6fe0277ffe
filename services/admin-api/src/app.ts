/**
 * The admin API: a fastify application whose route schemas validate every
 * body and query and make the OpenAPI document. It reaches the server only
 * through the bus and the stores, so it runs the same inside the
 * all-in-one process and as its own process in a cluster.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import Fastify from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { versionedBus } from '@parley/routing';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { installAudit, openApiAuditLog } from './audit.js';
import { installAuth } from './auth.js';
import { installXmlCharCheck } from './xml-chars.js';
import { installReferenceAccess } from './reference-access.js';
import type { ApiContext } from './context.js';
import type { AdminDeps } from './deps.js';
import { MAX_PARAM_LENGTH, frameworkErrors, installProblemHandlers } from './errors.js';
import { MucClient } from './muc-client.js';
import { installOpenApi } from './openapi.js';
import { ApiProblem } from './problem.js';
import { RegistryClient } from './registry-client.js';
import { inactiveRoutes } from './routes/inactive.js';
import { invitationsRoutes } from './routes/invitations.js';
import { loginRefusalsRoutes } from './routes/login-refusals.js';
import { mucOccupantsRoutes } from './routes/muc-occupants.js';
import { mucRoomsRoutes } from './routes/muc-rooms.js';
import { offlineRoutes } from './routes/offline.js';
import { rosterRoutes } from './routes/roster.js';
import { serverRoutes } from './routes/server.js';
import { sessionsRoutes } from './routes/sessions.js';
import { stanzasRoutes } from './routes/stanzas.js';
import { storageRoutes } from './routes/storage.js';
import { uploadRoutes } from './routes/upload.js';
import { usersRoutes } from './routes/users.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { StanzaRouter } from './stanza-router.js';

export interface AdminApi {
  readonly app: FastifyInstance;
  /** The port listened on (0 when admin.port is 0: use app.inject). */
  readonly port: number;
  /**
   * Serves the API reference (/openapi.json, /docs) when the process's ops
   * listener hands it a request (ops.port set); false for other paths.
   */
  readonly opsRoutes: (req: IncomingMessage, res: ServerResponse) => boolean;
  close(): Promise<void>;
}

/** Builds the application (ready, not listening). */
export async function buildAdminApp(deps: AdminDeps): Promise<{
  app: FastifyInstance;
  ctx: ApiContext;
  routes: Array<{ method: string; url: string }>;
  /** The API reference for the process's ops listener (ops.port); false for other paths. */
  opsRoutes: (req: IncomingMessage, res: ServerResponse) => boolean;
}> {
  // Everything the API sends carries the bus protocol version (@parley/routing protocol.ts).
  deps = { ...deps, bus: versionedBus(deps.bus) };
  const ctx: ApiContext = {
    ...deps,
    registry: new RegistryClient(deps),
    router: new StanzaRouter(deps),
    muc: new MucClient(deps),
    startedAt: Date.now(),
  };
  const app = Fastify({
    logger: false,
    bodyLimit: Math.max(1_048_576, 2 * deps.config.c2s.maxStanzaBytes),
    ajv: { customOptions: { removeAdditional: false, allErrors: true } },
    maxParamLength: MAX_PARAM_LENGTH,
    frameworkErrors,
  });
  const routes: Array<{ method: string; url: string }> = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url });
  });
  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  installProblemHandlers(app, deps.logger);
  const audit = openApiAuditLog(deps);
  installAudit(app, audit, '/api');
  app.addHook('onClose', async () => audit.close());
  const opsRoutes = installReferenceAccess(app, deps.config);
  await installOpenApi(app);
  // The limiters only (global: false): the hooks below apply them and answer problems.
  await app.register(rateLimit, { global: false });
  await app.register(
    async (api) => {
      installAuth(
        api,
        deps.config.admin.tokens,
        installRateLimits(api, deps.config.admin.rateLimit),
      );
      installXmlCharCheck(api);
      for (const routes of [
        usersRoutes,
        invitationsRoutes,
        inactiveRoutes,
        sessionsRoutes,
        stanzasRoutes,
        rosterRoutes,
        storageRoutes,
        offlineRoutes,
        uploadRoutes,
        serverRoutes,
        loginRefusalsRoutes,
        mucRoomsRoutes,
        mucOccupantsRoutes,
      ])
        await api.register(routes(ctx));
    },
    { prefix: '/api' },
  );
  app.addHook('onClose', async () => ctx.muc.close());
  await app.ready();
  return { app, ctx, routes, opsRoutes };
}

/**
 * Rate limits of the /api routes (issue 15): per client address (IPv6: its
 * /64) before authentication, so guessing tokens is limited too, and per
 * token once it is known (the returned hook). Each process counts on its own.
 */
function installRateLimits(
  api: FastifyInstance,
  limits: { windowMs: number; perToken: number; perAddress: number },
): (req: FastifyRequest, reply: FastifyReply) => Promise<void> {
  const limiter = (max: number, key?: (req: FastifyRequest) => string) =>
    max === 0
      ? undefined
      : api.createRateLimit({
          max,
          timeWindow: limits.windowMs,
          ...(key !== undefined && { keyGenerator: key }),
        });
  const check = async (
    limit: ReturnType<typeof limiter>,
    req: FastifyRequest,
    reply: FastifyReply,
    what: string,
  ) => {
    if (limit === undefined) return;
    const r = await limit(req);
    if (r.isAllowed || !r.isExceeded) return;
    reply.header('retry-after', String(Math.max(1, r.ttlInSeconds)));
    throw new ApiProblem(
      'rate-limited',
      `too many requests from this ${what}: retry in ${Math.max(1, r.ttlInSeconds)} s`,
      { retryAfter: Math.max(1, r.ttlInSeconds) },
    );
  };
  const perAddress = limiter(limits.perAddress);
  const perToken = limiter(limits.perToken, (req) => `token:${req.token?.name ?? ''}`);
  // Added before the authentication hook, so it runs first.
  api.addHook('onRequest', async (req, reply) => check(perAddress, req, reply, 'address'));
  // Called by the authentication hook once the token is known, before the scope checks.
  return async (req, reply) => check(perToken, req, reply, 'token');
}

/** Builds the admin API and listens on admin.host:admin.port (unless the port is 0). */
export async function startAdminApi(deps: AdminDeps): Promise<AdminApi> {
  const { config, logger } = deps;
  if (config.admin.tokens.length === 0)
    logger.warn('admin API enabled without tokens (admin.tokens): every request will get 401');
  const { app, opsRoutes } = await buildAdminApp(deps);
  let port = 0;
  if (config.admin.port !== 0) {
    await app.listen({ port: config.admin.port, host: config.admin.host });
    const addr = app.server.address();
    port = typeof addr === 'object' && addr ? addr.port : config.admin.port;
    logger.info('admin API listening', { host: config.admin.host, port });
  }
  return { app, port, opsRoutes, close: () => app.close() };
}
