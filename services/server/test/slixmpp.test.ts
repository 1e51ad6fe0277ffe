import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./interop/slixmpp_scenario.py', import.meta.url));

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

describe('interop: slixmpp (Debian python3-slixmpp) as an independent client', () => {
  let t: TestServer;
  beforeAll(async () => {
    if (!existsSync(PYTHON))
      throw new Error(`${PYTHON} is missing: run scripts/install-test-deps.sh`);
    t = await startTestServer();
    await t.addUser('slix-a');
    await t.addUser('slix-b');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('logs in, gets the roster, subscribes both ways, sees presence and exchanges messages', async () => {
    const r = await run(t.port);
    const last = r.out.trim().split('\n').pop() ?? '{}';
    const result = JSON.parse(last) as Record<string, unknown>;
    expect(result, r.err.slice(-2000)).toMatchObject({
      login: true,
      // slixmpp asks for tls-unique, which TLS 1.3 does not define (RFC 9266), on both
      // -PLUS mechanisms; each is refused at once, then its SCRAM-SHA-256 with the 'y'
      // flag is accepted because this stream saw the mismatch (not a downgrade).
      auth_failures: 4,
      subscription: 'both',
      message_from: 'slix-a@localhost/one',
      reply_from: 'slix-b@localhost/two',
    });
    expect(r.code).toBe(0);
  }, 60_000);
});
