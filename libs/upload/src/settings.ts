/**
 * The upload settings both sides need, resolved from the configuration:
 * the signing secret (inline, from a file, or given by the all-in-one
 * server), the base URL of the HTTP service and the storage directory.
 * A missing or contradictory value is a ConfigError naming its key.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '@parley/config';
import type { Config } from '@parley/config';

export interface UploadSettings {
  secret: string;
  /** Base URL of the HTTP service, ending in `/` (storage local). */
  publicUrl?: string;
  /** Absolute (or dataDir-relative made absolute) directory of the files (storage local). */
  dir: string;
}

/** Reads a secret file named by configuration key `key`; surrounding whitespace is dropped. */
export function readSecretFile(key: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigError('bad-file', `${key}: cannot read ${path}: ${(cause as Error).message}`, {
      key,
      cause,
    });
  }
  const secret = text.trim();
  if (secret === '') throw new ConfigError('invalid-value', `${key}: ${path} is empty`, { key });
  return secret;
}

/** The configured signing secret (upload.secret or upload.secretFile), if any. */
export function configuredSecret(config: Config): string | undefined {
  const { secret, secretFile } = config.upload;
  if (secret !== undefined && secretFile !== undefined)
    throw new ConfigError(
      'invalid-value',
      'upload.secret and upload.secretFile: set only one of them',
      {
        key: 'upload.secret',
      },
    );
  if (secretFile !== undefined) return readSecretFile('upload.secretFile', secretFile);
  return secret;
}

/**
 * The settings of a process that signs or checks slots. `given` comes from
 * the all-in-one server (a derived URL, a per-process secret); a separate
 * process must have both configured.
 */
export function uploadSettings(
  config: Config,
  given: { secret?: string; publicUrl?: string } = {},
): UploadSettings {
  const secret = given.secret ?? configuredSecret(config);
  if (secret === undefined)
    throw new ConfigError(
      'invalid-value',
      'upload.secretFile: the upload service and every registry node need the same signing secret; set upload.secret or upload.secretFile',
      { key: 'upload.secretFile' },
    );
  const url = given.publicUrl ?? config.upload.publicUrl;
  if (url === undefined && config.upload.storage.kind === 'local')
    throw new ConfigError(
      'invalid-value',
      'upload.publicUrl: required with upload.storage.kind local (the base URL clients reach the upload HTTP service at)',
      { key: 'upload.publicUrl' },
    );
  const dir = config.upload.storage.dir;
  return {
    secret,
    ...(url !== undefined ? { publicUrl: url.endsWith('/') ? url : `${url}/` } : {}),
    dir: isAbsolute(dir) ? dir : join(config.server.dataDir, dir),
  };
}
