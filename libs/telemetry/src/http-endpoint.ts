import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TelemetryError } from './errors.js';
import type { Metrics } from './metrics.js';

export interface ProbeResult {
  ok: boolean;
  details?: unknown;
}

export type Probe = () => Promise<ProbeResult>;

export interface HttpEndpointOptions {
  /** Port to listen on; 0 picks a free one (see the returned `port`). */
  port: number;
  host?: string;
  metrics: Metrics;
  /** Liveness: is the process working at all? Served on /healthz. */
  health: Probe;
  /** Readiness: should traffic be sent here? Served on /readyz. Defaults to `health`. */
  ready?: Probe;
  /** A probe not answering within this time counts as failed (default 5000 ms). */
  probeTimeoutMs?: number;
  /**
   * Who may read /metrics, from the request's Authorization header: `ok`,
   * or 401 / 403. Default: anyone. The probes never ask.
   */
  authorizeMetrics?: (authorization: string | undefined) => 'ok' | 'unauthorized' | 'forbidden';
  /**
   * A second listener ("ops"): /metrics and `extra` are served there only,
   * and the main listener keeps /healthz and /readyz (which the ops one
   * serves too).
   */
  ops?: { port: number; host?: string };
  /**
   * More routes of the listener serving /metrics (the admin API's
   * reference): handles the request and returns true, or returns false for
   * a path it does not serve.
   */
  extra?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface HttpEndpoint {
  port: number;
  /** Port of the ops listener, when there is one. */
  opsPort?: number;
  close(): Promise<void>;
}

/** The realm of the WWW-Authenticate challenge of /metrics. */
const METRICS_REALM = 'Bearer realm="parley-metrics"';

/**
 * Serves `GET /metrics` (Prometheus text), `/healthz` and `/readyz` (200 or
 * 503 with a JSON body). Everything else is 404; other methods are 405.
 * With `ops`, /metrics (and `extra`) move to a second listener; with
 * `authorizeMetrics`, /metrics needs a bearer token.
 */
export async function startHttpEndpoint(opts: HttpEndpointOptions): Promise<HttpEndpoint> {
  const probeTimeoutMs = opts.probeTimeoutMs ?? 5000;
  const ready = opts.ready ?? opts.health;
  const separate = opts.ops !== undefined;

  async function handle(req: IncomingMessage, res: ServerResponse, ops: boolean): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const serveMetrics = ops || !separate;
    if (serveMetrics && opts.extra?.(req, res)) return;
    const known =
      (serveMetrics && path === '/metrics') || path === '/healthz' || path === '/readyz';
    if (!known) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    if (path === '/metrics') {
      const access = opts.authorizeMetrics?.(req.headers.authorization) ?? 'ok';
      if (access === 'unauthorized') {
        res.setHeader(
          'www-authenticate',
          req.headers.authorization ? `${METRICS_REALM}, error="invalid_token"` : METRICS_REALM,
        );
        return send(res, 401, 'text/plain; charset=utf-8', 'send Authorization: Bearer <token>\n');
      }
      if (access === 'forbidden') {
        res.setHeader(
          'www-authenticate',
          `${METRICS_REALM}, error="insufficient_scope", scope="metrics"`,
        );
        return send(res, 403, 'text/plain; charset=utf-8', "needs the 'metrics' scope\n");
      }
      return send(res, 200, opts.metrics.contentType, await opts.metrics.text());
    }
    const result = await runProbe(path === '/healthz' ? opts.health : ready, probeTimeoutMs);
    const body: Record<string, unknown> = { status: result.ok ? 'ok' : 'unavailable' };
    if (result.details !== undefined) body['details'] = result.details;
    return send(res, result.ok ? 200 : 503, 'application/json', `${safeJson(body)}\n`);
  }

  const main = await listen(opts.port, opts.host, (req, res) => handle(req, res, false));
  let ops: Server | undefined;
  if (opts.ops !== undefined) {
    try {
      ops = await listen(opts.ops.port, opts.ops.host, (req, res) => handle(req, res, true));
    } catch (err) {
      await closeServer(main);
      throw err;
    }
  }

  let closing: Promise<void> | undefined;
  return {
    port: (main.address() as AddressInfo).port,
    ...(ops !== undefined ? { opsPort: (ops.address() as AddressInfo).port } : {}),
    close() {
      closing ??= Promise.all([closeServer(main), ops && closeServer(ops)]).then(() => undefined);
      return closing;
    },
  };
}

async function listen(
  port: number,
  host: string | undefined,
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<Server> {
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${String(err)}\n`);
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new TelemetryError(
          'listen-failed',
          `cannot listen on ${host ?? '0.0.0.0'}:${port}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

async function runProbe(probe: Probe, timeoutMs: number): Promise<ProbeResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ ok: false, details: { error: `probe timed out after ${timeoutMs} ms` } }),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([
      probe().catch((err: unknown) => ({
        ok: false,
        details: { error: err instanceof Error ? err.message : String(err) },
      })),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return JSON.stringify({
      status: (value as { status?: unknown }).status,
      details: '[unserializable]',
    });
  }
}
