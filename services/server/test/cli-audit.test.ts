/**
 * `xmppctl` audit records (issue 15): a command acting on the stores leaves
 * one record naming the local user, the command, its target and outcome, in
 * admin.auditLog or on standard error; the password given never appears.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../dist/src/cli.js', import.meta.url));
const PASSWORD = 'cli-Secret-pw-42';

describe('xmppctl audit log', () => {
  const dir = mkdtempSync(join(tmpdir(), 'parley-cli-audit-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (args: string[], extra: Record<string, string> = {}) =>
    spawnSync(process.execPath, [cli, ...args], {
      env: {
        ...process.env,
        PARLEY_SERVER_DATA_DIR: join(dir, 'data'),
        PARLEY_SERVER_DOMAINS: 'localhost',
        SUDO_USER: 'alice-admin',
        ...extra,
      },
      encoding: 'utf8',
    });

  it('appends a record per command to admin.auditLog, without the password', () => {
    const file = join(dir, 'audit.log');
    const env = { PARLEY_ADMIN_AUDIT_LOG: file };
    const add = run(['user', 'add', 'Bob@localhost', '--password', PASSWORD], env);
    expect(add.stdout).toContain('created bob@localhost');
    expect(add.stderr).toBe('');
    expect(add.status).toBe(0);
    const again = run(['user', 'add', 'bob@localhost', '--password', PASSWORD], env);
    expect(again.status).toBe(1);
    const records = readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      service: 'xmppctl',
      channel: 'audit',
      actor: { kind: 'cli', sudoUser: 'alice-admin', uid: process.getuid?.() },
      action: 'user add',
      target: { jid: 'bob@localhost' },
      outcome: 'ok',
      status: 0,
      msg: 'admin action',
    });
    expect(records[1]).toMatchObject({
      action: 'user add',
      outcome: 'failed',
      status: 1,
      error: 'bob@localhost already exists',
    });
    expect(readFileSync(file, 'utf8')).not.toContain(PASSWORD);
  }, 60_000);

  it('writes the record to standard error when no file is configured', () => {
    const passwd = run(['user', 'passwd', 'bob@localhost', '--password', `${PASSWORD}-2`]);
    expect(passwd.status).toBe(0);
    const lines = passwd.stderr.split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      channel: 'audit',
      action: 'user passwd',
      target: { jid: 'bob@localhost' },
      outcome: 'ok',
    });
    expect(passwd.stderr + passwd.stdout).not.toContain(PASSWORD);
  }, 60_000);
});
