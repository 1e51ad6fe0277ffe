import { describe, expect, it } from 'vitest';
import { H_MOD, ackElement, absoluteH, parseH } from './session.js';

describe('XEP-0198 counters', () => {
  it('parses h as an unsignedInt', () => {
    expect(parseH('0')).toBe(0);
    expect(parseH('4294967295')).toBe(H_MOD - 1);
    for (const bad of [undefined, '', '-1', '1.5', '4294967296', ' 1', '0x10', '99999999999']) {
      expect(parseH(bad)).toBeUndefined();
    }
  });

  it('maps a wire h to the absolute count at or after the last acknowledged one', () => {
    expect(absoluteH(0, 0)).toBe(0);
    expect(absoluteH(5, 3)).toBe(5);
    expect(absoluteH(3, 3)).toBe(3);
    // Past the 2^32 wrap.
    expect(absoluteH(3, H_MOD - 2)).toBe(H_MOD + 3);
    expect(absoluteH(1, 2 * H_MOD + 7)).toBe(3 * H_MOD + 1);
    // An h behind the last ack reads as a full wrap ahead (the caller finds it too high).
    expect(absoluteH(2, 3)).toBe(H_MOD + 2);
  });

  it('writes h modulo 2^32', () => {
    expect(ackElement(H_MOD + 4)).toBe("<a xmlns='urn:xmpp:sm:3' h='4'/>");
  });
});
