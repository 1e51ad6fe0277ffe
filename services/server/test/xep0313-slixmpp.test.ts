/**
 * XEP-0313 interop: slixmpp's (Debian python3-slixmpp) xep_0313 and
 * xep_0441 plugins against the real server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';

describe('interop: slixmpp xep_0313 / xep_0441', () => {
  let t: TestServer;
  beforeAll(async () => {
    requirePython();
    t = await startTestServer();
    await t.addUser('slix-mam-a');
    await t.addUser('slix-mam-b');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('pages through the archive, filters it, reads form, metadata and preferences', async () => {
    const r = await runScenario('slixmpp_mam_scenario.py', [t.port]);
    const result = r.result;
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
