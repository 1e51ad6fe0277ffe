/**
 * The upload HTTP service: the app of app.ts on upload.http.host:port, and
 * the purge of expired files (every purgeIntervalMs, at most purgeBatch
 * slots examined per run, never two runs at once).
 */
import type { AddressInfo } from 'node:net';
import type { Config } from '@parley/config';
import type { Logger, Metrics } from '@parley/telemetry';
import { LocalFiles, uploadSettings } from '@parley/upload';
import { buildUploadApp } from './app.js';

const DAY_MS = 86_400_000;

/** How long a stopping service lets open requests finish before it closes their connections. */
const CLOSE_GRACE_MS = 5_000;

export interface UploadServiceOptions {
  config: Config;
  logger: Logger;
  metrics?: Metrics;
  /** The signing secret when the configuration has none (the all-in-one server's). */
  secret?: string;
}

export interface UploadService {
  /** The port listened on (an ephemeral one when upload.http.port is 0). */
  readonly port: number;
  /** Runs one purge now (also what the timer runs); resolves with what it deleted. */
  purge(): Promise<{ deleted: number; examined: number }>;
  close(): Promise<void>;
}

export async function startUploadService(opts: UploadServiceOptions): Promise<UploadService> {
  const { config, logger, metrics } = opts;
  const cfg = config.upload;
  // The URL is the registry's business; the service needs the secret and the directory.
  const settings = uploadSettings(config, {
    ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
    publicUrl: cfg.publicUrl ?? 'http://unused/',
  });
  const files = new LocalFiles(settings.dir);
  const app = await buildUploadApp({
    files,
    secret: settings.secret,
    corsOrigins: cfg.corsOrigins,
    logger,
    ...(metrics ? { metrics } : {}),
  });
  await app.listen({ host: cfg.http.host, port: cfg.http.port });
  const port = (app.server.address() as AddressInfo).port;
  const purged = metrics?.counter('upload_purged_files_total', 'Expired uploads deleted');

  let running: Promise<{ deleted: number; examined: number }> | undefined;
  const purge = () => {
    running ??= (async () => {
      try {
        if (cfg.expiryDays === 0) return { deleted: 0, examined: 0 };
        const r = await files.purge(Date.now() - cfg.expiryDays * DAY_MS, cfg.purgeBatch);
        if (r.deleted > 0) logger.info('upload purge', r);
        purged?.inc(r.deleted);
        return r;
      } catch (err) {
        logger.error('upload purge failed', { err });
        return { deleted: 0, examined: 0 };
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const timer = setInterval(() => void purge(), cfg.purgeIntervalMs);
  timer.unref();
  logger.info('upload service listening', { host: cfg.http.host, port, dir: settings.dir });
  return {
    port,
    purge,
    async close() {
      clearInterval(timer);
      await running;
      // In-flight uploads get a grace period; then every connection still open (a client
      // that keeps a keep-alive socket busy, a stalled PUT) is destroyed so a stop never hangs.
      const grace = setTimeout(() => app.server.closeAllConnections(), CLOSE_GRACE_MS);
      try {
        await app.close();
      } finally {
        clearTimeout(grace);
      }
    },
  };
}
