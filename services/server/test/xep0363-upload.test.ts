/**
 * XEP-0363 HTTP File Upload end to end in the all-in-one server, local
 * storage: Debian's slixmpp (xep_0363 upload_file) finds upload.localhost,
 * gets a slot and PUTs a file to the built-in HTTP service; the test GETs
 * the same bytes back; an oversize and an over-quota request are refused
 * with the XEP's errors.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import { requirePython, runScenario } from './slixmpp-runner.js';

const SIZE = 50_000;
const MAX = 100_000;
const QUOTA = 120_000;

/** What interop/slixmpp_upload.py uploads. */
const payload = (size: number) =>
  Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + 3) % 256));

describe('interop: HTTP File Upload with slixmpp (xep_0363), local storage', () => {
  let t: TestServer;
  beforeAll(async () => {
    requirePython();
    t = await startTestServer({
      upload: {
        enabled: true,
        maxFileBytes: MAX,
        quotaBytesPerUser: QUOTA,
        http: { host: '127.0.0.1', port: 0 },
      },
    });
    await t.addUser('slix-up');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('uploads through a slot, serves the same bytes back, refuses oversize and over-quota requests', async () => {
    expect(t.server.upload).toBeDefined();
    const r = await runScenario('slixmpp_upload.py', [t.port, SIZE, MAX + 1, QUOTA - SIZE + 1]);
    const result = r.result as {
      service: string;
      max_file_size: number;
      url: string;
      oversize: Record<string, string | null>;
      overquota: Record<string, string | null>;
    };
    expect(result, r.err.slice(-3000)).toMatchObject({ login: true, service: 'upload.localhost' });
    expect(result.max_file_size).toBe(MAX);
    const url = new URL(result.url);
    expect(url.origin).toBe(`http://127.0.0.1:${t.server.upload!.port}`);
    expect(url.pathname.endsWith('/notes%20%C3%BC.bin')).toBe(true);

    const res = await fetch(result.url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-parley-test');
    expect(res.headers.get('content-disposition')).toMatch(
      /^attachment; .*filename\*=UTF-8''notes%20%C3%BC\.bin$/,
    );
    expect(Buffer.from(await res.arrayBuffer()).equals(payload(SIZE))).toBe(true);

    expect(result.oversize).toMatchObject({
      condition: 'not-acceptable',
      type: 'modify',
      max_file_size: String(MAX),
    });
    expect(result.overquota).toMatchObject({ condition: 'resource-constraint', type: 'wait' });
    // The stored file frees the quota when it expires (upload.expiryDays, 30 by default).
    const retry = Date.parse(result.overquota['retry']!);
    expect(retry).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    expect(r.code).toBe(0);
  }, 60_000);
});
