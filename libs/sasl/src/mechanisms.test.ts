import { describe, expect, it } from 'vitest';
import { createServerMechanism, isMechanism, offeredMechanisms } from './mechanisms.js';
import type { Mechanism, SaslContext } from './types.js';
import { MECHANISMS } from './types.js';

describe('offeredMechanisms', () => {
  it('offers everything, strongest first, on TLS with channel binding', () => {
    expect(offeredMechanisms({ secure: true, channelBinding: true })).toEqual([
      'SCRAM-SHA-256-PLUS',
      'SCRAM-SHA-1-PLUS',
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
      'PLAIN',
    ]);
  });

  it('leaves out -PLUS without channel binding', () => {
    expect(offeredMechanisms({ secure: true, channelBinding: false })).toEqual([
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
      'PLAIN',
    ]);
  });

  it('offers PLAIN without TLS only when allowed, and never when disabled', () => {
    expect(offeredMechanisms({ secure: false, channelBinding: false })).toEqual([
      'SCRAM-SHA-256',
      'SCRAM-SHA-1',
    ]);
    expect(
      offeredMechanisms({ secure: false, channelBinding: false, allowPlainWithoutTls: true }),
    ).toContain('PLAIN');
    expect(offeredMechanisms({ secure: true, channelBinding: true, plain: false })).not.toContain(
      'PLAIN',
    );
  });
});

describe('createServerMechanism', () => {
  const ctx: SaslContext = { secure: true, lookup: async () => undefined };

  it('creates every mechanism under its name', () => {
    for (const name of MECHANISMS) expect(createServerMechanism(name, ctx).name).toBe(name);
  });

  it('throws SaslError for an unknown name', () => {
    expect(() => createServerMechanism('DIGEST-MD5' as Mechanism, ctx)).toThrow(
      expect.objectContaining({ name: 'SaslError', code: 'unknown-mechanism' }),
    );
  });

  it('isMechanism narrows client input', () => {
    expect(isMechanism('SCRAM-SHA-256-PLUS')).toBe(true);
    expect(isMechanism('scram-sha-256')).toBe(false);
    expect(isMechanism('ANONYMOUS')).toBe(false);
  });
});
