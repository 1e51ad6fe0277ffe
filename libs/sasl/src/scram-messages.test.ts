import { describe, expect, it } from 'vitest';
import {
  decodeSaslname,
  encodeSaslname,
  parseClientFinal,
  parseClientFirst,
  parseServerFinal,
  parseServerFirst,
} from './scram-messages.js';

describe('saslname', () => {
  it('escapes and unescapes , and =', () => {
    expect(encodeSaslname('a=b,c')).toBe('a=3Db=2Cc');
    expect(decodeSaslname('a=3Db=2Cc')).toBe('a=b,c');
    expect(decodeSaslname(encodeSaslname('=2C'))).toBe('=2C');
  });

  it.each(['', 'a=b', 'a=2c', 'a\0b', 'a,b'])('rejects %j', (text) => {
    expect(() => decodeSaslname(text)).toThrow(
      expect.objectContaining({ code: 'malformed-message' }),
    );
  });
});

describe('parseClientFirst', () => {
  it('splits GS2 header and bare message', () => {
    expect(parseClientFirst('p=tls-exporter,a=admin=2C1,n=u,r=abc,x=ext')).toEqual({
      gs2: {
        flag: 'p',
        cbName: 'tls-exporter',
        authzid: 'admin,1',
        raw: 'p=tls-exporter,a=admin=2C1,',
      },
      bare: 'n=u,r=abc,x=ext',
      username: 'u',
      clientNonce: 'abc',
    });
    expect(parseClientFirst('y,,n=\u00FC,r=a').gs2).toEqual({ flag: 'y', raw: 'y,,' });
  });

  it.each(['p=,,n=u,r=a', 'p=tls_unique,,n=u,r=a', 'n,a=,n=u,r=a', 'n,,n=u,r=a b'])(
    'rejects %j',
    (text) => {
      expect(() => parseClientFirst(text)).toThrow(
        expect.objectContaining({ code: 'malformed-message' }),
      );
    },
  );
});

describe('parseClientFinal', () => {
  it('keeps the message without proof for the AuthMessage', () => {
    const parsed = parseClientFinal('c=biws,r=abc,x=1,p=AAAA');
    expect(parsed.withoutProof).toBe('c=biws,r=abc,x=1');
    expect(parsed.channelBinding).toEqual(Buffer.from('n,,'));
    expect(parsed.proof).toEqual(Buffer.alloc(3));
    expect(parsed.nonce).toBe('abc');
  });
});

describe('server messages', () => {
  it('parses server-first and server-final', () => {
    expect(parseServerFirst('r=abc,s=QSXCR+Q6sek8bf92,i=4096,x=1')).toEqual({
      nonce: 'abc',
      salt: Buffer.from('QSXCR+Q6sek8bf92', 'base64'),
      iterations: 4096,
    });
    expect(parseServerFinal('v=AAAA')).toEqual({ verifier: Buffer.alloc(3) });
    expect(parseServerFinal('e=unknown-user')).toEqual({ error: 'unknown-user' });
  });

  it.each(['r=abc,s=QSXCR+Q6sek8bf92,i=04096', 'r=abc,s=QSXCR+Q6sek8bf92,i=99999999999999999999'])(
    'rejects the iteration count of %j',
    (text) => {
      expect(() => parseServerFirst(text)).toThrow(
        expect.objectContaining({ code: 'malformed-message' }),
      );
    },
  );
});
