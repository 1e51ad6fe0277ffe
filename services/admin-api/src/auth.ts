/**
 * Bearer-token authentication and authorization. Tokens are configured by
 * their SHA-256 (admin.tokens); a request's token is hashed and compared in
 * constant time. Each operation needs a scope ('read' for GET, 'admin'
 * otherwise, unless the route says so: 'data' for reads of user content,
 * see docs/admin-api.md); 'admin' includes every other scope. A token
 * with `domains` acts only on JIDs of those domains and never on
 * server-wide operations (`config.global`).
 */
import { createHash } from 'node:crypto';
import { authenticateBearer } from '@parley/config';
import type { AdminScope, AdminToken, Config } from '@parley/config';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { accountJid, servedDomainOfMuc } from './jids.js';
import { ApiProblem } from './problem.js';
import type { UserParams } from './schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * Scope the operation needs; default: 'read' for GET, 'admin' otherwise.
     * 'data' for reads of user content (archives, offline messages, private XML).
     */
    scope?: AdminScope;
    /** A server-wide operation: tokens limited to domains may not use it. */
    global?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated token (set for every /api route). */
    token: AdminToken | null;
  }
}

const REALM = 'Bearer realm="parley-admin"';

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The scope an operation needs: the route's, else 'read' for GET and HEAD, 'admin' otherwise. */
export function requiredScope(method: string, scope: AdminScope | undefined): AdminScope {
  return scope ?? (method === 'GET' || method === 'HEAD' ? 'read' : 'admin');
}

/** Adds authentication to every route of `app` (an encapsulated context: the /api routes). */
export function installAuth(
  app: FastifyInstance,
  tokens: AdminToken[],
  /** Runs once the token is known, before the scope checks (the per-token rate limit). */
  authenticated?: (req: FastifyRequest, reply: FastifyReply) => Promise<void>,
): void {
  app.decorateRequest('token', null);
  app.addHook('onRequest', async (req, reply) => {
    const header = req.headers.authorization;
    const token = authenticateBearer(header, tokens);
    if (!token) {
      reply.header('www-authenticate', header ? `${REALM}, error="invalid_token"` : REALM);
      throw new ApiProblem(
        'unauthorized',
        header ? 'the bearer token is not valid' : 'send Authorization: Bearer <token>',
      );
    }
    req.token = token;
    await authenticated?.(req, reply);
    const cfg = req.routeOptions.config;
    const scope = requiredScope(req.method, cfg.scope);
    if (!token.scopes.includes(scope) && !token.scopes.includes('admin')) {
      reply.header('www-authenticate', `${REALM}, error="insufficient_scope", scope="${scope}"`);
      throw new ApiProblem('insufficient-scope', `this operation needs the '${scope}' scope`, {
        scope,
      });
    }
    if (cfg.global && token.domains !== undefined)
      throw new ApiProblem(
        'domain-not-allowed',
        'server-wide operations need a token that is not limited to domains',
      );
  });
}

/** What the checks below read of a request: its token (any route's request, whatever its schema). */
export type Authorized = Pick<FastifyRequest, 'token'>;

/** Refuses a domain the request's token is not limited to. */
export function checkDomain(req: Authorized, domain: string): void {
  const allowed = req.token?.domains;
  if (allowed !== undefined && !allowed.includes(domain))
    throw new ApiProblem('domain-not-allowed', `this token may not act on ${domain}`, { domain });
}

/** Refuses a JID (bare or full) outside the token's domains. */
export function checkJid(req: Authorized, jid: string): void {
  const at = jid.indexOf('@');
  const slash = jid.indexOf('/', at + 1);
  checkDomain(req, jid.slice(at + 1, slash === -1 ? undefined : slash));
}

/** Refuses a room whose MUC service belongs to a domain outside the token's domains. */
export function checkRoom(req: Authorized, config: Config, room: string): void {
  const domain = room.slice(room.indexOf('@') + 1);
  checkDomain(req, servedDomainOfMuc(config, domain) ?? domain);
}

/**
 * The domain a list operation is limited to: the one asked for (checked),
 * or, for a token limited to a single domain, that domain.
 */
export function listDomain(req: Authorized, domain: string | undefined): string | undefined {
  const allowed = req.token?.domains;
  if (domain !== undefined) {
    checkDomain(req, domain);
    return domain;
  }
  if (allowed === undefined) return undefined;
  if (allowed.length === 1) return allowed[0];
  throw new ApiProblem(
    'domain-not-allowed',
    'this token is limited to several domains: name one with the domain parameter',
  );
}

/** A request on one account: `/users/:jid/...`. */
export type AccountRequest = Authorized & { params: Static<typeof UserParams> };

/** The account JID of the path parameter `jid`, normalized and checked against the token's domains. */
export function pathAccount(config: Config, req: AccountRequest): string {
  const jid = accountJid(config, req.params.jid);
  checkJid(req, jid);
  return jid;
}
