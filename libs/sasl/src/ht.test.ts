import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HtServerMechanism,
  htInitialResponse,
  htResponderMessage,
  offeredHtMechanisms,
} from './ht.js';
import type { ChannelBindingSource } from './types.js';

const tokens = (byUser: Record<string, string[]>) => ({
  tokens: async (u: string) => (byUser[u] ?? []).map((token, i) => ({ token, ref: i })),
});

describe('HT-SHA-256 (draft-schmaus-kitten-sasl-ht)', () => {
  it('computes the initiator message as WebCrypto clients (xmpp.js) do', async () => {
    const key = await webcrypto.subtle.importKey(
      'raw',
      new TextEncoder().encode('s3cr3t-token'),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    const sig = Buffer.from(
      await webcrypto.subtle.sign('HMAC', key, new TextEncoder().encode('Initiator')),
    );
    expect(htInitialResponse('juliet', 's3cr3t-token')).toEqual(
      Buffer.concat([Buffer.from('juliet\0'), sig]),
    );
    // Known answer: printf Initiator | openssl dgst -sha256 -hmac s3cr3t-token
    expect(sig.toString('hex')).toBe(
      'd4486d7d9644ab67db5dd96ed4602f08bde3c8f761f8ddce4d4e6cc98de4d780',
    );
  });

  it('accepts the right token of the user, names the one that matched, and answers the responder message', async () => {
    const m = new HtServerMechanism('HT-SHA-256-NONE', tokens({ juliet: ['old', 'new'] }));
    const step = await m.start(htInitialResponse('juliet', 'new'));
    expect(step).toEqual({ kind: 'success', username: 'juliet', data: htResponderMessage('new') });
    expect(m.matched).toEqual({ token: 'new', ref: 1 });
  });

  it('refuses a wrong token, an unknown user and a malformed response alike', async () => {
    for (const [user, token] of [
      ['juliet', 'guess'],
      ['romeo', 'old'],
    ]) {
      const m = new HtServerMechanism('HT-SHA-256-NONE', tokens({ juliet: ['old'] }));
      expect(await m.start(htInitialResponse(user!, token!))).toEqual({
        kind: 'failure',
        condition: 'not-authorized',
      });
      expect(m.matched).toBeUndefined();
    }
    const m = new HtServerMechanism('HT-SHA-256-NONE', tokens({}));
    expect((await m.start(Buffer.from('juliet\0short'))).kind).toBe('failure');
    await expect(m.step()).rejects.toThrow('no second step');
  });

  it('binds -ENDP to the channel: the same token with other binding data fails', async () => {
    const cb = (data: Buffer): ChannelBindingSource => ({
      types: ['tls-server-end-point'],
      get: (t) => (t === 'tls-server-end-point' ? data : undefined),
    });
    const server = Buffer.from('server-cert-hash');
    const ok = new HtServerMechanism('HT-SHA-256-ENDP', {
      ...tokens({ juliet: ['t'] }),
      channelBinding: cb(server),
    });
    expect((await ok.start(htInitialResponse('juliet', 't', server))).kind).toBe('success');
    const mitm = new HtServerMechanism('HT-SHA-256-ENDP', {
      ...tokens({ juliet: ['t'] }),
      channelBinding: cb(Buffer.from('another-cert')),
    });
    expect((await mitm.start(htInitialResponse('juliet', 't', server))).kind).toBe('failure');
    // Without channel binding data, only -NONE is offered.
    expect(offeredHtMechanisms(undefined)).toEqual(['HT-SHA-256-NONE']);
    expect(offeredHtMechanisms(cb(server))).toEqual(['HT-SHA-256-ENDP', 'HT-SHA-256-NONE']);
  });
});
