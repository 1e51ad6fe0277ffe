/**
 * The upload side of the all-in-one server: with `upload.enabled`, the
 * signing secret (configured, else random for this process) and, for
 * `local` storage, the HTTP service started here, whose URL is derived
 * when upload.publicUrl is unset. Returns the configuration the session
 * registry gets: the same, with the secret and the URL filled in.
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '@parley/config';
import type { Logger, Metrics } from '@parley/telemetry';
import { configuredSecret } from '@parley/upload';
import { startUploadService } from './service.js';
import type { UploadService } from './service.js';

export interface EmbeddedUpload {
  /** The configuration to give the session registry. */
  registryConfig: Config;
  /** The HTTP service (local storage only). */
  service?: UploadService;
}

/** `http://<host>:<port>/`; a wildcard bind address is replaced by the first served domain. */
export function derivedPublicUrl(config: Config, port: number): string {
  const host = config.upload.http.host;
  const name =
    host === '0.0.0.0' || host === '::' ? (config.server.domains[0] ?? 'localhost') : host;
  return `http://${name.includes(':') ? `[${name}]` : name}:${port}/`;
}

export async function startEmbeddedUpload(opts: {
  config: Config;
  logger: Logger;
  metrics?: Metrics;
}): Promise<EmbeddedUpload> {
  const { config, logger } = opts;
  if (!config.upload.enabled) return { registryConfig: config };
  const secret = configuredSecret(config) ?? randomBytes(32).toString('base64url');
  if (config.upload.storage.kind !== 'local')
    return { registryConfig: { ...config, upload: { ...config.upload, secret } } };
  const service = await startUploadService({
    config,
    logger,
    secret,
    ...(opts.metrics ? { metrics: opts.metrics } : {}),
  });
  const publicUrl = config.upload.publicUrl ?? derivedPublicUrl(config, service.port);
  if (config.upload.publicUrl === undefined)
    logger.warn('upload.publicUrl is unset: slots use the derived plain-HTTP URL', { publicUrl });
  return {
    registryConfig: { ...config, upload: { ...config.upload, secret, publicUrl } },
    service,
  };
}
