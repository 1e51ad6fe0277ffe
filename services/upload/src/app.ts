/**
 * The HTTP side of XEP-0363 for `local` storage, as a fastify app:
 * `PUT <prefix>/<user>/<slot>/<filename>` checks the slot signature
 * (Authorization, Content-Length, Content-Type, path) and streams the body
 * to disk with exactly the announced size; `GET`/`HEAD` serve it with its
 * content type and a Content-Disposition; CORS for browsers (preflight
 * and `Access-Control-Allow-*`). Any prefix before the last three path
 * segments is accepted, so a reverse proxy may mount it anywhere.
 */
import cors from '@fastify/cors';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger, Metrics } from '@parley/telemetry';
import {
  DEFAULT_CONTENT_TYPE,
  contentDisposition,
  objectKey,
  parseKeyPath,
  verifyPut,
} from '@parley/upload';
import type { LocalFiles } from '@parley/upload';

export interface UploadAppOptions {
  files: LocalFiles;
  secret: string;
  /** Allowed browser origins; empty = any (`*`). */
  corsOrigins: readonly string[];
  logger?: Logger;
  metrics?: Metrics;
  now?: () => number;
}

/** Headers a browser may read from a download. */
const EXPOSED = ['Content-Length', 'Content-Type', 'Content-Disposition'];

export async function buildUploadApp(opts: UploadAppOptions): Promise<FastifyInstance> {
  const { files, secret, logger } = opts;
  const now = opts.now ?? Date.now;
  const requests = opts.metrics?.counter<'method' | 'status'>(
    'upload_http_requests_total',
    'Requests to the upload HTTP service by method and status',
    ['method', 'status'],
  );
  const bytes = opts.metrics?.counter('upload_stored_bytes_total', 'Bytes of files stored');
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  await app.register(cors, {
    origin: opts.corsOrigins.length === 0 ? '*' : [...opts.corsOrigins],
    methods: ['GET', 'HEAD', 'PUT', 'OPTIONS'],
    allowedHeaders: ['Authorization', 'Content-Type'],
    exposedHeaders: EXPOSED,
    maxAge: 86_400,
    strictPreflight: false,
  });
  // The PUT body is streamed by the handler, never parsed or buffered.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
  app.addHook('onResponse', async (req, reply) => {
    requests?.inc({ method: req.method, status: String(reply.statusCode) });
  });

  const fail = (reply: FastifyReply, status: number, message: string) =>
    reply.code(status).type('text/plain; charset=utf-8').send(`${message}\n`);

  app.put('/*', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = parseKeyPath(req.url);
    if (!key) return fail(reply, 404, 'not an upload URL');
    const lengthText = req.headers['content-length'];
    if (lengthText === undefined || !/^\d{1,16}$/.test(lengthText))
      return fail(reply, 411, 'Content-Length is required');
    const size = Number(lengthText);
    const contentType = req.headers['content-type'] ?? DEFAULT_CONTENT_TYPE;
    const check = verifyPut(
      secret,
      req.headers.authorization,
      { key: objectKey(key), size, contentType },
      now(),
    );
    if (!check.ok) {
      logger?.info('upload refused', { reason: check.reason });
      return check.reason === 'missing'
        ? fail(reply, 401, 'the slot Authorization header is missing')
        : fail(reply, 403, `the slot does not allow this upload (${check.reason})`);
    }
    const result = await files.write(key, size, contentType, req.raw, now());
    switch (result) {
      case 'created':
        bytes?.inc(size);
        return reply.code(201).send();
      case 'exists':
        return fail(reply, 409, 'this slot was used already');
      case 'too-short':
        return fail(reply, 400, 'the body is shorter than Content-Length');
      case 'too-long':
        return fail(reply, 413, 'the body is longer than Content-Length');
    }
  });

  app.get('/*', async (req: FastifyRequest, reply: FastifyReply) => {
    const key = parseKeyPath(req.url);
    const file = key && (await files.open(key));
    if (!file) return fail(reply, 404, 'no such file');
    const { meta, body } = file;
    return reply
      .code(200)
      .headers({
        'content-type': meta.contentType,
        'content-length': String(meta.size),
        'content-disposition': contentDisposition(meta.filename, meta.contentType),
        'last-modified': new Date(meta.createdAt).toUTCString(),
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
        // Never a page of this origin: no scripts, no plugins, even for an HTML upload.
        'content-security-policy': "default-src 'none'; sandbox",
      })
      .send(body);
  });

  app.setErrorHandler((err, _req, reply) => {
    logger?.error('upload request failed', { err });
    void fail(reply, 500, 'internal error');
  });
  return app;
}
