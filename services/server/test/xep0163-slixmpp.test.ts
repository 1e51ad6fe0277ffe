import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./interop/slixmpp_pep.py', import.meta.url));

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

describe('interop: PEP with slixmpp (xep_0060, xep_0163, xep_0084)', () => {
  let t: TestServer;
  beforeAll(async () => {
    if (!existsSync(PYTHON))
      throw new Error(`${PYTHON} is missing: run scripts/install-test-deps.sh`);
    t = await startTestServer();
    const a = await t.addUser('slix-pa');
    const b = await t.addUser('slix-pb');
    // A mutual presence subscription: b is auto-subscribed to a's PEP service.
    await t.server.stores.rosters.setItem(a, {
      jid: b,
      subscription: 'both',
      groups: [],
      listed: true,
    });
    await t.server.stores.rosters.setItem(b, {
      jid: a,
      subscription: 'both',
      groups: [],
      listed: true,
    });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('publishes a PEP avatar that a contact with +notify caps receives as an event and fetches', async () => {
    const r = await run(t.port);
    const last = r.out.trim().split('\n').pop() ?? '{}';
    const result = JSON.parse(last) as Record<string, unknown>;
    expect(result, r.err.slice(-2000)).toMatchObject({
      login: true,
      event_from: 'slix-pa@localhost',
      event_node: 'urn:xmpp:avatar:metadata',
      retrieved: true,
    });
    expect(result.event_item).toBe(result.published);
    expect(r.code).toBe(0);
  }, 60_000);
});
