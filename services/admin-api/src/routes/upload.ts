/**
 * HTTP file upload (XEP-0363): Parley has no upload service yet, so asking
 * for an upload slot is answered with 501 not-implemented. The operation is
 * declared (and validated) so clients and the CLI see it in the document.
 */
import type { FastifyPluginAsync } from 'fastify';
import { checkJid } from '../auth.js';
import type { ApiContext } from '../context.js';
import { accountJid } from '../jids.js';
import { ApiProblem } from '../problem.js';
import { BARE_JID, int, obj, ok, problems, str } from '../schemas.js';

export function uploadRoutes(ctx: ApiContext): FastifyPluginAsync {
  return async (app) => {
    app.post<{ Body: { jid: string; filename: string; size: number; contentType?: string } }>(
      '/upload/slots',
      {
        schema: {
          operationId: 'getUploadUrl',
          summary: 'Get a PUT and GET URL to upload a file for a user (not available: 501)',
          tags: ['upload'],
          body: obj(
            {
              jid: BARE_JID,
              filename: str('File name', { minLength: 1, maxLength: 255 }),
              size: int('Size in bytes', { minimum: 1 }),
              contentType: str('Media type', { maxLength: 255 }),
            },
            ['jid', 'filename', 'size'],
          ),
          response: {
            200: ok('The slot', obj({ putUrl: str(), getUrl: str() }, ['putUrl', 'getUrl'])),
            ...problems('not-implemented'),
          },
        },
      },
      async (req) => {
        checkJid(req, accountJid(ctx.config, req.body.jid));
        throw new ApiProblem(
          'not-implemented',
          'this server has no HTTP upload service (XEP-0363); see docs/admin-api.md',
        );
      },
    );
  };
}
