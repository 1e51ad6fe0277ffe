/**
 * HTTP file upload (XEP-0363): Parley has no upload service yet, so asking
 * for an upload slot is answered with 501 not-implemented. The operation is
 * declared (and validated) so clients and the CLI see it in the document.
 */
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { checkJid } from '../auth.js';
import type { ApiContext } from '../context.js';
import { accountJid } from '../jids.js';
import { ApiProblem } from '../problem.js';
import { BARE_JID, obj, ok, problems } from '../schemas.js';

export function uploadRoutes(ctx: ApiContext): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.post(
      '/upload/slots',
      {
        schema: {
          operationId: 'getUploadUrl',
          summary: 'Get a PUT and GET URL to upload a file for a user (not available: 501)',
          tags: ['upload'],
          body: obj({
            jid: BARE_JID,
            filename: Type.String({ description: 'File name', minLength: 1, maxLength: 255 }),
            size: Type.Integer({ description: 'Size in bytes', minimum: 1 }),
            contentType: Type.Optional(Type.String({ description: 'Media type', maxLength: 255 })),
          }),
          response: {
            200: ok('The slot', obj({ putUrl: Type.String(), getUrl: Type.String() })),
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
