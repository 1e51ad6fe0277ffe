import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
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
}

export interface HttpEndpoint {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (Prometheus text), `/healthz` and `/readyz` (200 or
 * 503 with a JSON body). Everything else is 404; other methods are 405.
 */
export async function startHttpEndpoint(opts: HttpEndpointOptions): Promise<HttpEndpoint> {
  const probeTimeoutMs = opts.probeTimeoutMs ?? 5000;
  const ready = opts.ready ?? opts.health;
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', `${String(err)}\n`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const known = path === '/metrics' || path === '/healthz' || path === '/readyz';
    if (!known) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    if (path === '/metrics') {
      return send(res, 200, opts.metrics.contentType, await opts.metrics.text());
    }
    const result = await runProbe(path === '/healthz' ? opts.health : ready, probeTimeoutMs);
    const body: Record<string, unknown> = { status: result.ok ? 'ok' : 'unavailable' };
    if (result.details !== undefined) body['details'] = result.details;
    return send(res, result.ok ? 200 : 503, 'application/json', `${safeJson(body)}\n`);
  }

  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(
        new TelemetryError(
          'listen-failed',
          `cannot listen on ${opts.host ?? '0.0.0.0'}:${opts.port}: ${err.code ?? err.message}`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(opts.port, opts.host, () => {
      server.off('error', onError);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
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
