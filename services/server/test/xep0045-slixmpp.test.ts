import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./interop/slixmpp_muc.py', import.meta.url));

function run(port: number): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [SCRIPT, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('interop: slixmpp xep_0045 (Debian python3-slixmpp) in a room', () => {
  let t: TestServer;
  beforeAll(async () => {
    if (!existsSync(PYTHON))
      throw new Error(`${PYTHON} is missing: run scripts/install-test-deps.sh`);
    t = await startTestServer();
    await t.addUser('slix-ma');
    await t.addUser('slix-mb');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('creates and configures a room, joins it with history, exchanges groupchat and a private message', async () => {
    const r = await run(t.port);
    const last = r.out.trim().split('\n').pop() ?? '{}';
    const result = JSON.parse(last) as Record<string, unknown>;
    expect(result, r.err.slice(-2000)).toMatchObject({
      service_is_muc: true,
      created_codes: expect.arrayContaining([110, 201]),
      affiliation: 'owner',
      b_role: 'participant',
      b_history: ['before b'],
      b_occupants: ['Alpha', 'Beta'],
      groupchat_from: 'slix@conference.localhost/Alpha',
      reply_from: 'slix@conference.localhost/Beta',
      pm_from: 'slix@conference.localhost/Beta',
    });
    expect(r.code).toBe(0);
  }, 60_000);
});
