import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, openAuditLog } from './index.js';
import type { AuditEntry } from './index.js';

const now = () => new Date('2024-05-01T12:00:00.000Z');

describe('openAuditLog', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  const entry: AuditEntry = {
    actor: { kind: 'token', token: 'ops', scopes: ['admin'], address: '192.0.2.7' },
    action: 'changePassword',
    method: 'PUT',
    route: '/api/users/:jid/password',
    target: { jid: 'alice@example.org' },
    outcome: 'ok',
    status: 204,
    durationMs: 3.14159,
    requestId: 'req-1',
  };

  it('writes one record on the audit channel of the logger and appends it to a 0600 file', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 'admin-api', now, sink: (l) => lines.push(l) });
    const dir = mkdtempSync(join(tmpdir(), 'audit-'));
    dirs.push(dir);
    const file = join(dir, 'audit.log');
    const audit = openAuditLog({ service: 'admin-api', logger, file, now });
    audit.write(entry);
    audit.write({ ...entry, outcome: 'refused', status: 403, error: 'insufficient-scope' });
    audit.close();
    expect(lines).toHaveLength(2);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toEqual({
      level: 'info',
      time: '2024-05-01T12:00:00.000Z',
      service: 'admin-api',
      channel: 'audit',
      actor: { kind: 'token', token: 'ops', scopes: ['admin'], address: '192.0.2.7' },
      action: 'changePassword',
      method: 'PUT',
      route: '/api/users/:jid/password',
      target: { jid: 'alice@example.org' },
      outcome: 'ok',
      status: 204,
      durationMs: 3.1,
      requestId: 'req-1',
      msg: 'admin action',
    });
    const written = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    expect(written.map((l) => JSON.parse(l) as unknown)).toEqual(
      lines.map((l) => JSON.parse(l) as unknown),
    );
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Appended, never truncated: a second process (xmppctl) adds to the same file.
    const again = openAuditLog({ service: 'xmppctl', file, now });
    again.write({
      actor: { kind: 'cli', user: 'root', uid: 0, host: 'h1' },
      action: 'user add',
      target: { jid: 'bob@example.org' },
      outcome: 'ok',
      status: 0,
    });
    again.close();
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('keeps only the declared fields and cuts long values', () => {
    const lines: string[] = [];
    const logger = createLogger({ service: 's', now, sink: (l) => lines.push(l) });
    const audit = openAuditLog({ service: 's', logger });
    const sneaky = {
      ...entry,
      password: 'hunter2',
      body: 'secret message',
      target: { jid: 'a'.repeat(5000), password: 'hunter2' },
      actor: { ...entry.actor, authorization: 'Bearer s3cret' },
    } as unknown as AuditEntry;
    audit.write(sneaky);
    expect(lines[0]).not.toMatch(/hunter2|secret message|s3cret/);
    const rec = JSON.parse(lines[0]!) as { target: { jid: string } };
    expect(rec.target.jid.length).toBe(1025);
  });

  it('refuses a file it cannot open', () => {
    expect(() => openAuditLog({ service: 's', file: '/nonexistent-dir/audit.log' })).toThrow(
      /ENOENT/,
    );
  });
});
