import { describe, expect, it } from 'vitest';
import { natsConnectOptions } from './nats-auth.js';

const SEED = 'SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU';

describe('natsConnectOptions', () => {
  it('sets nothing without auth', () => {
    expect(natsConnectOptions(undefined)).toEqual({});
    expect(natsConnectOptions({})).toEqual({});
  });

  it('maps token and user/password to the client options', () => {
    expect(natsConnectOptions({ token: 't' })).toEqual({ token: 't' });
    expect(natsConnectOptions({ user: 'u', pass: 'p' })).toEqual({ user: 'u', pass: 'p' });
  });

  it('signs the server nonce with an NKey seed', () => {
    const { authenticator } = natsConnectOptions({ nkeySeed: SEED });
    const auth = (authenticator as (nonce?: string) => { nkey: string; sig: string })('nonce');
    expect(auth.nkey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(auth.sig).not.toBe('');
  });

  it('requires TLS when tls is given, with the PEM material passed on', () => {
    expect(natsConnectOptions({ tls: {} })).toEqual({ tls: {} });
    expect(natsConnectOptions({ tls: { ca: 'CA', cert: 'C', key: 'K' } })).toEqual({
      tls: { ca: 'CA', cert: 'C', key: 'K' },
    });
  });
});
