/**
 * XEP-0313 interop: slixmpp's (Debian python3-slixmpp) xep_0313 and
 * xep_0441 plugins against the real server.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./interop/slixmpp_mam_scenario.py', import.meta.url));

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

describe('interop: slixmpp xep_0313 / xep_0441', () => {
  let t: TestServer;
  beforeAll(async () => {
    if (!existsSync(PYTHON))
      throw new Error(`${PYTHON} is missing: run scripts/install-test-deps.sh`);
    t = await startTestServer();
    await t.addUser('slix-mam-a');
    await t.addUser('slix-mam-b');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('pages through the archive, filters it, reads form, metadata and preferences', async () => {
    const r = await run(t.port);
    const last = r.out.trim().split('\n').pop() ?? '{}';
    const result = JSON.parse(last) as Record<string, unknown>;
    expect(result, r.err.slice(-2000)).toEqual({
      delivered: 25,
      stanza_ids: true,
      archived_bodies_in_order: true,
      ids_match_stanza_ids: true,
      archived: 25,
      with_count: 25,
      with_nobody: 0,
      since_start: 25,
      future: 0,
      page_size: 5,
      fin_count: '25',
      fin_first_is_first: true,
      fields: ['FORM_TYPE', 'after-id', 'before-id', 'end', 'ids', 'start', 'with'],
      metadata_end: true,
      prefs: ['always', ['spam@localhost']],
      foreign_archive: 'forbidden',
    });
    expect(r.code).toBe(0);
  }, 90_000);
});
