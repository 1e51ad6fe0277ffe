/**
 * The secret the fake SCRAM credentials of unknown users are derived from
 * (@parley/sasl fake-credentials.ts). An unknown user must get the same salt
 * and iteration count whichever gateway answers and across restarts, like a
 * real account, or comparing two answers tells which accounts exist: so
 * every gateway of a cluster needs the same secret (sasl.fakeSaltSecret or
 * sasl.fakeSaltSecretFile, like s2s.dialbackSecret). The iteration count
 * announced is sasl.scramIterations, the same on every gateway.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@parley/config';
import type { Config } from '@parley/config';
import type { Logger } from '@parley/telemetry';

/**
 * What a gateway does when no secret is configured: `refuse` to start (a
 * cluster gateway), `persist` a random one in server.dataDir (the all-in-one
 * server: one gateway, stable across restarts), or use a `random` one for
 * this process (tests).
 */
export type UnconfiguredFakeSaltSecret = 'refuse' | 'persist' | 'random';

export const FAKE_SALT_SECRET_FILE = 'fake-salt-secret';

function readSecretFile(key: string, path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new ConfigError('bad-file', `${key}: cannot read ${path}: ${(cause as Error).message}`, {
      key,
      cause,
    });
  }
}

/** The configured secret, a persisted one, or a random one (see UnconfiguredFakeSaltSecret). */
export function fakeSaltSecret(
  config: Config,
  unconfigured: UnconfiguredFakeSaltSecret,
  logger: Logger,
): Buffer {
  const { fakeSaltSecret: inline, fakeSaltSecretFile: file } = config.sasl;
  if (inline !== undefined && file !== undefined)
    throw new ConfigError(
      'invalid-value',
      'sasl.fakeSaltSecret and sasl.fakeSaltSecretFile: set only one of them',
      { key: 'sasl.fakeSaltSecret' },
    );
  const configured =
    inline ?? (file === undefined ? undefined : readSecretFile('sasl.fakeSaltSecretFile', file));
  if (configured !== undefined && configured !== '') return Buffer.from(configured, 'utf8');
  switch (unconfigured) {
    case 'refuse':
      throw new ConfigError(
        'invalid-value',
        'sasl.fakeSaltSecretFile: every gateway of a cluster needs the same secret for the SCRAM salts of unknown users, or they tell unknown users from real ones; set sasl.fakeSaltSecret or sasl.fakeSaltSecretFile',
        { key: 'sasl.fakeSaltSecretFile' },
      );
    case 'persist': {
      const path = join(config.server.dataDir, FAKE_SALT_SECRET_FILE);
      let secret: string | undefined;
      try {
        secret = readFileSync(path, 'utf8').trim();
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
      if (secret === undefined || secret === '') {
        secret = randomBytes(32).toString('base64url');
        // 'wx': never overwrite a secret another process wrote meanwhile.
        try {
          writeFileSync(path, secret + '\n', { mode: 0o600, flag: 'wx' });
          chmodSync(path, 0o600);
          logger.info("sasl: generated the secret of unknown users' SCRAM salts", { path });
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          secret = readFileSync(path, 'utf8').trim();
        }
      }
      return Buffer.from(secret, 'utf8');
    }
    case 'random':
      return randomBytes(32);
  }
}
