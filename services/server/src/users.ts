import { readFileSync } from 'node:fs';
import { parseJID } from '@parley/jid';
import { deriveCredentials } from '@parley/sasl';
import type { Account, AccountStore } from '@parley/store';

/** Normalized bare JID of an account; throws a readable error for bad input. */
export function accountJid(input: string, domains: string[]): string {
  const jid = parseJID(input);
  if (!jid.local || jid.resource)
    throw new Error(`"${input}" is not a bare JID like alice@${domains[0] ?? 'localhost'}`);
  if (!domains.includes(jid.domain))
    throw new Error(`domain ${jid.domain} is not served (server.domains: ${domains.join(', ')})`);
  return jid.toString();
}

export async function newAccount(
  jid: string,
  password: string,
  iterations: number,
): Promise<Account> {
  if (password.length === 0) throw new Error('the password must not be empty');
  return {
    jid,
    credentials: await deriveCredentials(password, { iterations }),
    createdAt: Date.now(),
  };
}

export interface ImportSpec {
  /** e.g. "user%d@localhost"; %d is replaced by the index. */
  pattern?: string;
  count?: number;
  start?: number;
  /** Password, may contain %d too. */
  password?: string;
  /** File with one "jid password" (or jid,password / jid:password) per line. */
  file?: string;
}

export function importEntries(spec: ImportSpec): Array<{ jid: string; password: string }> {
  if (spec.file) {
    const out: Array<{ jid: string; password: string }> = [];
    const lines = readFileSync(spec.file, 'utf8').split(/\r?\n/);
    lines.forEach((line, i) => {
      const t = line.trim();
      if (!t || t.startsWith('#')) return;
      const m = /^(\S+?)[\s,:]+(.+)$/.exec(t);
      if (!m) throw new Error(`${spec.file}:${i + 1}: expected "jid password"`);
      out.push({ jid: m[1]!, password: m[2]! });
    });
    return out;
  }
  if (!spec.pattern || !spec.pattern.includes('%d'))
    throw new Error('--pattern must contain %d, e.g. user%d@localhost');
  if (!spec.password) throw new Error('--password is required with --pattern');
  const count = spec.count ?? 0;
  if (!Number.isInteger(count) || count <= 0) throw new Error('--count must be a positive integer');
  const start = spec.start ?? 1;
  return Array.from({ length: count }, (_, k) => {
    const i = String(start + k);
    return { jid: spec.pattern!.replaceAll('%d', i), password: spec.password!.replaceAll('%d', i) };
  });
}

/**
 * Creates many accounts: credentials are derived in parallel on the libuv
 * thread pool and written in batches. Existing accounts are left unchanged.
 */
export async function importAccounts(
  store: AccountStore,
  entries: Array<{ jid: string; password: string }>,
  domains: string[],
  iterations: number,
  onProgress?: (done: number) => void,
): Promise<{ created: number; skipped: number }> {
  let created = 0;
  const batchSize = 1000;
  for (let i = 0; i < entries.length; i += batchSize) {
    const batch = entries.slice(i, i + batchSize);
    const accounts = await Promise.all(
      batch.map((e) => newAccount(accountJid(e.jid, domains), e.password, iterations)),
    );
    created += await store.createMany(accounts);
    onProgress?.(Math.min(i + batchSize, entries.length));
  }
  return { created, skipped: entries.length - created };
}
