/**
 * The audit log of the API (issue 15): one record per request under /api,
 * whatever its outcome (refused ones included), written after the answer.
 *
 * Redaction at the source: a record copies the token's name and scopes
 * (never the token or the Authorization header), the route pattern (never
 * the query string), and from the path, the query and the body only the
 * JIDs, rooms, nicknames and domains they name. Passwords, message bodies,
 * stanzas, vCards and private XML are never read here.
 */
import { openAuditLog } from '@parley/telemetry';
import type { AuditActor, AuditEntry, AuditLog, AuditTarget } from '@parley/telemetry';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AdminDeps } from './deps.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The problem code the request was answered with (set by the error handlers). */
    problemCode?: string;
  }
}

/** Opens the audit log of admin.auditLog; a file that cannot be opened names its key. */
export function openApiAuditLog(deps: AdminDeps): AuditLog {
  const file = deps.config.admin.auditLog;
  try {
    return openAuditLog({
      service: 'admin-api',
      nodeId: deps.instance,
      logger: deps.logger,
      ...(file !== undefined ? { file } : {}),
    });
  } catch (err) {
    throw new Error(`admin.auditLog: cannot open ${file}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Audits every request whose path starts with `prefix` (the /api routes, known or not). */
export function installAudit(app: FastifyInstance, audit: AuditLog, prefix: string): void {
  app.addHook('onResponse', async (req, reply) => {
    if (
      req.url !== prefix &&
      !req.url.startsWith(`${prefix}/`) &&
      !req.url.startsWith(`${prefix}?`)
    )
      return;
    audit.write(auditEntry(req, reply.statusCode, reply.elapsedTime));
  });
}

function auditEntry(req: FastifyRequest, status: number, durationMs: number): AuditEntry {
  const token = (req as { token?: FastifyRequest['token'] }).token ?? null;
  const actor: AuditActor = token
    ? {
        kind: 'token',
        token: token.name,
        scopes: token.scopes,
        ...(token.domains !== undefined ? { domains: token.domains } : {}),
        address: req.ip,
      }
    : { kind: 'anonymous', address: req.ip };
  const schema = req.routeOptions.schema as { operationId?: string } | undefined;
  const route = req.routeOptions.url;
  const entry: AuditEntry = {
    actor,
    action: schema?.operationId ?? 'unknown',
    method: req.method,
    ...(route !== undefined ? { route } : {}),
    outcome: status < 400 ? 'ok' : status < 500 ? 'refused' : 'failed',
    status,
    durationMs,
    requestId: req.id,
  };
  // A refused request is recorded without its target: it may not even have
  // passed validation, and naming what an unauthenticated caller asked for
  // would write attacker-chosen text into the log.
  const target = token && route !== undefined ? targetOf(req) : undefined;
  if (target !== undefined) entry.target = target;
  if (status >= 400) entry.error = req.problemCode ?? `http-${status}`;
  return entry;
}

/** The path parameters that name something. */
const PARAM_KEYS = ['jid', 'contact', 'resource', 'room', 'nick', 'address'] as const;
/** Body properties that name JIDs (sendMessage, registerUser, affiliations, invitations...). */
const BODY_KEYS = ['jid', 'from', 'to', 'room'] as const;

function targetOf(req: FastifyRequest): AuditTarget | undefined {
  const t: Record<string, unknown> = {};
  const params = record(req.params);
  for (const k of PARAM_KEYS) if (typeof params[k] === 'string') t[k] = params[k];
  const query = record(req.query);
  if (typeof query['domain'] === 'string') t['domain'] = query['domain'];
  const body = record(req.body);
  for (const k of BODY_KEYS) {
    if (t[k] === undefined && typeof body[k] === 'string') t[k] = body[k];
  }
  if (Array.isArray(body['users']) && body['users'].every((u) => typeof u === 'string'))
    t['users'] = body['users'];
  if (t['domain'] === undefined && typeof body['domain'] === 'string') t['domain'] = body['domain'];
  return Object.keys(t).length > 0 ? (t as AuditTarget) : undefined;
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
    ? (v as Record<string, unknown>)
    : {};
}
