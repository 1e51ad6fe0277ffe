/** Turns every error and unknown route into problem details (RFC 9457). */
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
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
