import { describe, expect, it } from 'vitest';
import { incompleteTail, loneSurrogateAt, validUtf8Prefix } from '../src/valid-prefix.js';

describe('valid-prefix', () => {
  it('finds the first unpaired surrogate', () => {
    expect(loneSurrogateAt('a😀b')).toBe(-1);
    expect(loneSurrogateAt('ab\uDC00😀')).toBe(2);
    expect(loneSurrogateAt('a\uD800b')).toBe(1);
  });

  it('keeps the start of an incomplete sequence for the next chunk', () => {
    const euro = Buffer.from('x€'); // 78 E2 82 AC
    expect([...incompleteTail(euro)]).toEqual([]);
    expect([...incompleteTail(euro.subarray(0, 3))]).toEqual([0xe2, 0x82]);
    expect([...incompleteTail(euro.subarray(0, 2))]).toEqual([0xe2]);
    expect([...incompleteTail(Buffer.from('ab'))]).toEqual([]);
  });

  it('decodes up to the first invalid byte, past genuine U+FFFD characters', () => {
    const bytes = Buffer.concat([Buffer.from('a\uFFFDé'), Buffer.from([0xff]), Buffer.from('z')]);
    expect(validUtf8Prefix(bytes)).toBe('a\uFFFDé');
    expect(validUtf8Prefix(Buffer.from([0xc0, 0xbc]))).toBe('');
  });
});
