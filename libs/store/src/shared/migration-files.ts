import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A schema migration file `NNN_name.<ext>` of deploy/<backend>/. */
export interface MigrationFile {
  version: number;
  name: string;
  file: string;
  /** sha256 of the file, recorded when applied. */
  checksum: string;
  text: string;
}

/** `NNN_name.<ext>` -> version and name; undefined for any other name. */
export function parseMigrationName(
  file: string,
  ext: string,
): { version: number; name: string } | undefined {
  const m = /^(\d+)_([A-Za-z0-9_-]+)\.([a-z]+)$/.exec(file);
  if (!m || m[3] !== ext) return undefined;
  const version = Number(m[1]);
  if (!Number.isSafeInteger(version) || version < 1) return undefined;
  return { version, name: m[2]! };
}

/** The `.<ext>` migrations of `dir` in version order; a stray name or a repeated version is an error. */
export function loadMigrationFiles(dir: string, ext: string): MigrationFile[] {
  const migrations: MigrationFile[] = [];
  for (const file of readdirSync(dir)) {
    if (!file.endsWith(`.${ext}`)) continue;
    const parsed = parseMigrationName(file, ext);
    if (!parsed) throw new Error(`${join(dir, file)}: migration files are named NNN_name.${ext}`);
    const text = readFileSync(join(dir, file), 'utf8');
    migrations.push({
      ...parsed,
      file: join(dir, file),
      checksum: createHash('sha256').update(text).digest('hex'),
      text,
    });
  }
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(
        `two migrations with version ${migrations[i]!.version}: ${migrations[i - 1]!.file} and ${migrations[i]!.file}`,
      );
    }
  }
  return migrations;
}

/**
 * deploy/<backend> of the checkout (or image) this module runs from: the
 * first such directory found walking up from this file; the environment
 * variable `envVar` overrides it.
 */
export function deployDir(backend: string, envVar: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'deploy', backend);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `cannot find deploy/${backend} above this module; pass the migrations directory explicitly`,
      );
    }
    dir = parent;
  }
}
