/** Turns every error and unknown route into problem details (RFC 9457). */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@parley/telemetry';
import { ApiProblem, PROBLEM_CONTENT_TYPE, notFound } from './problem.js';

function toProblem(err: FastifyError, logger: Logger): ApiProblem {
  if (err instanceof ApiProblem) return err;
  if (err.validation) {
    const where = err.validationContext ?? 'request';
    return new ApiProblem('validation-failed', err.message, {
      errors: err.validation.map((v) => {
        const p = v.params as { additionalProperty?: string; missingProperty?: string };
        const prop = p.additionalProperty ?? p.missingProperty;
        return {
          location: `${where}${v.instancePath}${prop !== undefined ? `/${prop}` : ''}`,
          message: v.message ?? 'is not valid',
        };
      }),
    });
  }
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiProblem('payload-too-large', err.message);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiProblem('unsupported-media-type', err.message);
  }
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
    return new ApiProblem('bad-request', err.message); // e.g. a body that is not valid JSON
  logger.error('admin api: unexpected error', { err });
  return new ApiProblem('internal');
}

const pathOf = (req: FastifyRequest) => req.url.split('?')[0] ?? req.url;

/**
 * Longest path parameter the router takes: a JID (three parts of 1023 octets)
 * fully percent-encoded is about 9,300 characters, so every JID reaches its
 * schema and gets a validation problem rather than the router's refusal.
 */
export const MAX_PARAM_LENGTH = 10_000;

/**
 * Answers what the router refuses before any route runs (a path that does
 * not decode, a parameter over {@link MAX_PARAM_LENGTH}) with problem
 * details too: fastify's own answer would be plain JSON.
 */
export function frameworkErrors(
  err: FastifyError,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const p =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? new ApiProblem('uri-too-long', `a path parameter exceeds ${MAX_PARAM_LENGTH} characters`)
      : new ApiProblem('bad-request', err.message);
  req.problemCode = p.code;
  return reply
    .code(p.status)
    .type(PROBLEM_CONTENT_TYPE)
    .send(p.body(pathOf(req)));
}

export function installProblemHandlers(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const p = toProblem(err, logger);
    req.problemCode = p.code;
    if (p.status >= 500 && p.code !== 'internal')
      logger.warn('admin api: operation failed', {
        url: pathOf(req),
        code: p.code,
        detail: p.detail,
      });
    return reply
      .code(p.status)
      .type(PROBLEM_CONTENT_TYPE)
      .send(p.body(pathOf(req)));
  });
  app.setNotFoundHandler((req, reply) => {
    req.problemCode = 'not-found';
    return reply
      .code(404)
      .type(PROBLEM_CONTENT_TYPE)
      .send(notFound(`no route ${req.method} ${pathOf(req)}`).body(pathOf(req)));
  });
}
