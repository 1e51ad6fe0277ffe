/**
 * The upload module on upload.example.org (XEP-0363), local storage: its
 * disco#info and listing, signed slots, and the refusals of the XEP
 * (oversize, over quota). The HTTP side is tested in services/upload and
 * end to end in services/server.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_HTTP_UPLOAD, parseKeyPath, objectKey, verifyPut } from '@parley/upload';
import type { Element } from '@parley/xml';
import { Harness, jidOf } from './harness.js';
import type { FakeSession } from './harness.js';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const SERVICE = 'upload.example.org';
const SECRET = 'registry-test-secret';

describe('upload module (XEP-0363)', () => {
  let h: Harness;
  let alice: FakeSession;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-upload-reg-'));
    h = await Harness.start({
      accounts: ['alice'],
      config: (c) => {
        c.server.dataDir = dir;
        c.upload.enabled = true;
        c.upload.publicUrl = 'https://files.example.org/up';
        c.upload.secret = SECRET;
        c.upload.maxFileBytes = 20_000;
        c.upload.quotaBytesPerUser = 30_000;
      },
    });
    alice = await h.online(jidOf('alice'), 'phone');
  });
  afterAll(async () => {
    await h?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function ask(to: string, payload: string): Promise<Element> {
    const id = alice.nextId();
    alice.send(`<iq type='get' id='${id}' to='${to}'>${payload}</iq>`);
    const iq = (await alice.drain()).find((el) => el.name === 'iq' && el.attr('id') === id);
    expect(iq, `no answer to ${payload}`).toBeDefined();
    expect(iq!.attr('from')).toBe(to);
    return iq!;
  }
  const request = (filename: string, size: number, type = 'text/plain') =>
    ask(
      SERVICE,
      `<request xmlns='${NS_HTTP_UPLOAD}' filename='${filename}' size='${size}' content-type='${type}'/>`,
    );

  it('is listed by the server and describes itself with max-file-size', async () => {
    const items = await ask('example.org', `<query xmlns='${NS_DISCO_ITEMS}'/>`);
    expect(
      items
        .getChild('query', NS_DISCO_ITEMS)!
        .getChildren('item')
        .map((i) => i.attr('jid')),
    ).toContain(SERVICE);
    const info = (await ask(SERVICE, `<query xmlns='${NS_DISCO_INFO}'/>`)).getChild(
      'query',
      NS_DISCO_INFO,
    )!;
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'store', type: 'file' });
    expect(info.getChildren('feature').map((f) => f.attr('var'))).toContain(NS_HTTP_UPLOAD);
    const fields = info.getChild('x', 'jabber:x:data')!.getChildren('field');
    expect(fields.map((f) => [f.attr('var'), f.getChildText('value')])).toEqual([
      ['FORM_TYPE', NS_HTTP_UPLOAD],
      ['max-file-size', '20000'],
    ]);
  });

  it('gives a slot whose PUT carries a signature for exactly that file', async () => {
    const iq = await request('report 1.txt', 12_000);
    expect(iq.attr('type')).toBe('result');
    const slot = iq.getChild('slot', NS_HTTP_UPLOAD)!;
    const put = slot.getChild('put')!;
    const getUrl = slot.getChild('get')!.attr('url')!;
    expect(put.attr('url')).toBe(getUrl);
    expect(getUrl.startsWith('https://files.example.org/up/')).toBe(true);
    expect(getUrl.endsWith('/report%201.txt')).toBe(true);
    const key = parseKeyPath(new URL(getUrl).pathname)!;
    const auth = put
      .getChildren('header')
      .find((x) => x.attr('name') === 'Authorization')!
      .text();
    const req = { key: objectKey(key), size: 12_000, contentType: 'text/plain' };
    expect(verifyPut(SECRET, auth, req)).toEqual({ ok: true });
    expect(verifyPut(SECRET, auth, { ...req, size: 12_001 }).ok).toBe(false);
  });

  it('refuses a file above the limit with not-acceptable and <file-too-large>', async () => {
    const iq = await request('big.bin', 20_001);
    const error = iq.getChild('error')!;
    expect(iq.attr('type')).toBe('error');
    expect(error.attr('type')).toBe('modify');
    expect(error.getChild('not-acceptable')).toBeDefined();
    expect(error.getChild('file-too-large', NS_HTTP_UPLOAD)!.getChildText('max-file-size')).toBe(
      '20000',
    );
  });

  it('counts the slots given toward the quota: over it, resource-constraint with a retry stamp', async () => {
    // 12 000 bytes are reserved by the slot above; 12 000 + 12 000 fits 30 000, a third does not.
    expect((await request('two.txt', 12_000)).attr('type')).toBe('result');
    const iq = await request('three.txt', 12_000);
    const error = iq.getChild('error')!;
    expect(error.attr('type')).toBe('wait');
    expect(error.getChild('resource-constraint')).toBeDefined();
    const stamp = error.getChild('retry', NS_HTTP_UPLOAD)!.attr('stamp')!;
    expect(stamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    // The retry time is when the first reservation's PUT URL expires.
    expect(Date.parse(stamp)).toBeGreaterThan(Date.now());
    expect(Date.parse(stamp)).toBeLessThanOrEqual(Date.now() + h.config.upload.putValidityMs);
  });

  it('answers a bad file name with bad-request and other payloads with service-unavailable', async () => {
    const bad = await request('..', 1);
    expect(bad.getChild('error')!.getChild('bad-request')).toBeDefined();
    const other = await ask(SERVICE, `<query xmlns='jabber:iq:version'/>`);
    expect(other.getChild('error')!.getChild('service-unavailable')).toBeDefined();
    expect(h.problems()).toEqual([]);
  });
});
