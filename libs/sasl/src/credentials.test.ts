import { describe, expect, it } from 'vitest';
import { deriveCredentials, deriveScramCredential, verifyPassword } from './credentials.js';

describe('deriveCredentials', () => {
  it('matches the salted keys of RFC 7677 section 3', async () => {
    const salt = Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64');
    const creds = await deriveCredentials('pencil', { salt });
    const sha256 = creds['SCRAM-SHA-256'];
    expect(sha256).toEqual(await deriveScramCredential('SHA-256', 'pencil', salt, 4096));
    expect(sha256.salt).toBe('W22ZaJ0SNY7soEsUEjb6gQ==');
    expect(sha256.iterations).toBe(4096);
    expect(Buffer.from(sha256.storedKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(sha256.serverKey, 'base64')).toHaveLength(32);
    expect(Buffer.from(creds['SCRAM-SHA-1'].storedKey, 'base64')).toHaveLength(20);
  });

  it('uses fresh 16-byte salts per hash by default and honours iterations', async () => {
    const a = await deriveCredentials('pw', { iterations: 5000 });
    const b = await deriveCredentials('pw', { iterations: 5000 });
    expect(a['SCRAM-SHA-256'].iterations).toBe(5000);
    expect(a['SCRAM-SHA-1'].iterations).toBe(5000);
    expect(Buffer.from(a['SCRAM-SHA-256'].salt, 'base64')).toHaveLength(16);
    expect(a['SCRAM-SHA-256'].salt).not.toBe(a['SCRAM-SHA-1'].salt);
    expect(a['SCRAM-SHA-256'].salt).not.toBe(b['SCRAM-SHA-256'].salt);
    expect(a['SCRAM-SHA-256'].storedKey).not.toBe(b['SCRAM-SHA-256'].storedKey);
  });

  it('rejects bad passwords and options with SaslError', async () => {
    await expect(deriveCredentials('')).rejects.toMatchObject({
      name: 'SaslError',
      code: 'invalid-password',
    });
    await expect(deriveCredentials('a\u0000b')).rejects.toMatchObject({ code: 'invalid-password' });
    // U+0221 was unassigned in Unicode 3.2: prohibited in stored strings.
    await expect(deriveCredentials('pass\u0221')).rejects.toMatchObject({
      code: 'invalid-password',
    });
    await expect(deriveCredentials('pw', { iterations: 0 })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await expect(deriveCredentials('pw', { iterations: 1.5 })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
    await expect(deriveCredentials('pw', { salt: Buffer.alloc(0) })).rejects.toMatchObject({
      code: 'invalid-argument',
    });
  });

  it('SASLprep-s non-ASCII passwords (RFC 4013 mapping and NFKC)', async () => {
    const salt = Buffer.alloc(16, 3);
    const reference = await deriveCredentials('IX', { salt });
    // U+00AD SOFT HYPHEN maps to nothing; U+2168 ROMAN NUMERAL NINE is NFKC 'IX'.
    expect(await deriveCredentials('I\u00ADX', { salt })).toEqual(reference);
    expect(await deriveCredentials('\u2168', { salt })).toEqual(reference);
    // U+00A0 NO-BREAK SPACE maps to SPACE.
    expect(await deriveCredentials('a\u00A0b', { salt })).toEqual(
      await deriveCredentials('a b', { salt }),
    );
  });
});

describe('verifyPassword', async () => {
  const creds = await deriveCredentials('correct horse \u00E9');

  it('accepts the password and its SASLprep equivalents', async () => {
    expect(await verifyPassword(creds, 'correct horse \u00E9')).toBe(true);
    expect(await verifyPassword(creds, 'correct horse e\u0301')).toBe(true);
    expect(await verifyPassword(creds, 'correct\u00A0horse \u00E9')).toBe(true);
  });

  it('rejects other passwords', async () => {
    expect(await verifyPassword(creds, 'correct horse e')).toBe(false);
    expect(await verifyPassword(creds, '')).toBe(false);
    expect(await verifyPassword(creds, 'a\u0007b')).toBe(false);
  });

  it('returns false for malformed credentials', async () => {
    const broken = {
      ...creds,
      'SCRAM-SHA-256': { ...creds['SCRAM-SHA-256'], salt: 'not base64!' },
    };
    expect(await verifyPassword(broken, 'correct horse \u00E9')).toBe(false);
    const zero = { ...creds, 'SCRAM-SHA-256': { ...creds['SCRAM-SHA-256'], iterations: 0 } };
    expect(await verifyPassword(zero, 'correct horse \u00E9')).toBe(false);
  });
});
