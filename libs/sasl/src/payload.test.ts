import { describe, expect, it } from 'vitest';
import { decodeSaslPayload, encodeSaslPayload } from './payload.js';

describe('decodeSaslPayload', () => {
  it("maps '=' and '' to an empty payload", () => {
    expect(decodeSaslPayload('=')).toEqual(Buffer.alloc(0));
    expect(decodeSaslPayload('')).toEqual(Buffer.alloc(0));
  });

  it('decodes base64', () => {
    expect(decodeSaslPayload('biwsbj11c2VyLHI9YWJj')).toEqual(Buffer.from('n,,n=user,r=abc'));
    expect(decodeSaslPayload('AA==')).toEqual(Buffer.from([0]));
  });

  it.each(['b!ws', 'abc', 'AB=C', 'AA= =', ' AAAA', 'AAAA\n', 'AB==', '===='])(
    'maps %j to incorrect-encoding',
    (text) => {
      expect(decodeSaslPayload(text)).toMatchObject({
        kind: 'failure',
        condition: 'incorrect-encoding',
      });
    },
  );
});

describe('encodeSaslPayload', () => {
  it("encodes empty data as '=' and other data as base64", () => {
    expect(encodeSaslPayload(Buffer.alloc(0))).toBe('=');
    expect(encodeSaslPayload(Buffer.from('v=abc'))).toBe('dj1hYmM=');
  });
});
