import { describe, expect, it } from 'vitest';
import { STREAM_HEADER, record } from './helpers.js';

describe('StreamFramer volume', () => {
  it('parses 10k small message stanzas', () => {
    const count = 10_000;
    const parts: string[] = [STREAM_HEADER];
    for (let i = 0; i < count; i++) {
      parts.push(
        `<message to='user${i % 50}@example.com' from='sender@example.com/res' type='chat' id='m${i}'><body>message number ${i} é</body></message>`,
      );
    }
    const input = Buffer.from(parts.join(''));
    const r = record();
    // Chunks of the size a socket typically delivers.
    for (let i = 0; i < input.length; i += 65536) r.framer.write(input.subarray(i, i + 65536));
    expect(r.errors).toEqual([]);
    expect(r.stanzas).toHaveLength(count);
    expect(r.stanzas[count - 1]!.attr('id')).toBe(`m${count - 1}`);
    expect(r.stanzas[1234]!.getChildText('body')).toBe('message number 1234 é');
  });
});
