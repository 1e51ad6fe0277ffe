import { describe, expect, it } from 'vitest';
import { parseJID } from '@parley/jid';
import { StanzaError } from '@parley/stanza';
import { NS_HTTP_UPLOAD } from '@parley/upload';
import { parseXml } from '@parley/xml';
import { fileTooLarge, overQuota, readSlotRequest, slotElement } from './slot-request.js';

const LOCAL = new Set(['example.org']);
const alice = parseJID('alice@example.org/phone');
const request = (attrs: string) => parseXml(`<request xmlns='${NS_HTTP_UPLOAD}' ${attrs}/>`);
const refusal = (fn: () => unknown): StanzaError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof StanzaError) return err;
    throw err;
  }
  throw new Error('expected a StanzaError');
};

describe('XEP-0363 slot requests', () => {
  it('reads file name, size and content type (octet-stream when absent)', () => {
    expect(
      readSlotRequest(
        request("filename='a b.jpg' size='23456' content-type='image/jpeg'"),
        alice,
        LOCAL,
        1e6,
      ),
    ).toEqual({ filename: 'a b.jpg', size: 23456, contentType: 'image/jpeg' });
    expect(readSlotRequest(request("filename='x' size='0'"), alice, LOCAL, 1e6).contentType).toBe(
      'application/octet-stream',
    );
  });

  it('forbids remote users and the server itself', () => {
    for (const jid of ['romeo@montague.lit/garden', 'example.org', 'upload.example.org']) {
      const err = refusal(() =>
        readSlotRequest(request("filename='x' size='1'"), parseJID(jid), LOCAL, 10),
      );
      expect([err.condition, err.type]).toEqual(['forbidden', 'auth']);
    }
  });

  it('refuses bad names, sizes and content types with bad-request', () => {
    for (const attrs of [
      "size='1'",
      "filename='../etc/passwd' size='1'",
      "filename='a/b' size='1'",
      "filename='x'",
      "filename='x' size='-1'",
      "filename='x' size='1.5'",
      "filename='x' size='99999999999999999'",
      "filename='x' size='1' content-type='not a type'",
    ]) {
      const err = refusal(() => readSlotRequest(request(attrs), alice, LOCAL, 1e6));
      expect([attrs, err.condition, err.type]).toEqual([attrs, 'bad-request', 'modify']);
    }
  });

  it('refuses a file above the limit with not-acceptable and <file-too-large>', () => {
    const err = refusal(() =>
      readSlotRequest(request("filename='x' size='20001'"), alice, LOCAL, 20000),
    );
    expect(err.toElement().toString()).toBe(fileTooLarge(20000).toElement().toString());
    const el = err.toElement();
    expect(el.attr('type')).toBe('modify');
    expect(el.getChild('not-acceptable')).toBeDefined();
    expect(el.getChild('file-too-large', NS_HTTP_UPLOAD)?.getChild('max-file-size')?.text()).toBe(
      '20000',
    );
  });

  it('over quota: resource-constraint (wait) with a UTC retry stamp when one is known', () => {
    const el = overQuota(
      { ok: false, used: 900, retryAt: Date.UTC(2017, 11, 3, 23, 42, 5) },
      1000,
    ).toElement();
    expect(el.attr('type')).toBe('wait');
    expect(el.getChild('resource-constraint')).toBeDefined();
    expect(el.getChild('retry', NS_HTTP_UPLOAD)?.attr('stamp')).toBe('2017-12-03T23:42:05Z');
    expect(
      overQuota({ ok: false, used: 0 }, 10).toElement().getChild('retry', NS_HTTP_UPLOAD),
    ).toBeUndefined();
  });

  it('builds the slot with its PUT headers', () => {
    expect(
      slotElement({
        put: 'https://u.example.org/a/b/c.txt',
        headers: [{ name: 'Authorization', value: 'Bearer t' }],
        get: 'https://u.example.org/a/b/c.txt',
      }).toString(),
    ).toBe(
      `<slot xmlns="${NS_HTTP_UPLOAD}"><put url="https://u.example.org/a/b/c.txt"><header name="Authorization">Bearer t</header></put><get url="https://u.example.org/a/b/c.txt"/></slot>`,
    );
  });
});
