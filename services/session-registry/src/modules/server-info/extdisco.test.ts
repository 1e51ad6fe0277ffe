import { describe, expect, it } from 'vitest';
import { parseServiceUri, turnCredentials } from './extdisco.js';

describe('XEP-0215 helpers', () => {
  it('reads RFC 7064/7065 URIs with their default ports and transports', () => {
    expect(parseServiceUri('stun:stun.example.org')).toEqual({
      type: 'stun',
      host: 'stun.example.org',
      port: 3478,
      transport: 'udp',
    });
    expect(parseServiceUri('turn:turn.example.org:3479?transport=tcp')).toEqual({
      type: 'turn',
      host: 'turn.example.org',
      port: 3479,
      transport: 'tcp',
    });
    expect(parseServiceUri('turns:[2001:db8::1]')).toEqual({
      type: 'turns',
      host: '2001:db8::1',
      port: 5349,
      transport: 'tcp',
    });
    expect(() => parseServiceUri('http://turn.example.org')).toThrow(TypeError);
  });

  it('makes TURN REST credentials: expiry:user and the base64 HMAC-SHA1 of it (known answer)', () => {
    // printf '%s' '1700000000:alice@example.org' | openssl dgst -sha1 -hmac north -binary | base64
    expect(turnCredentials('north', 'alice@example.org', 1_700_000_000_500)).toEqual({
      username: '1700000000:alice@example.org',
      password: 'PZI+z4ibN1IQ7v4pzuL4fO8lnhI=',
    });
  });
});
