/**
 * Where raw input stops being valid text, so that the framer can parse what
 * comes before a bad byte or an unpaired surrogate (and deliver the stanzas
 * completed there) before it refuses the stream: the outcome must not
 * depend on where the input was cut into chunks.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Index of the first unpaired surrogate of `text`, or -1. */
export function loneSurrogateAt(text: string): number {
  const m = LONE_SURROGATE.exec(text);
  return m === null ? -1 : m.index;
}

/**
 * The bytes at the end of `bytes` (valid UTF-8 so far) that begin a sequence
 * not yet complete: what a streaming decoder holds back for the next chunk.
 */
export function incompleteTail(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  for (let i = 1; i <= 3 && i <= n; i++) {
    const b = bytes[n - i]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > i ? bytes.subarray(n - i) : bytes.subarray(n);
  }
  return bytes.subarray(n);
}

const REPLACEMENT = '\uFFFD';
const REPLACEMENT_BYTES = [0xef, 0xbf, 0xbd];

/**
 * The text of the longest valid UTF-8 prefix of `bytes`, which holds an
 * error: decoded leniently, the first U+FFFD that does not stand for the
 * bytes EF BF BD in the input marks where the error begins.
 */
export function validUtf8Prefix(bytes: Uint8Array): string {
  const lenient = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  let offset = 0; // bytes of lenient.slice(0, from)
  let from = 0;
  for (let k = lenient.indexOf(REPLACEMENT); k !== -1; k = lenient.indexOf(REPLACEMENT, k + 1)) {
    offset += Buffer.byteLength(lenient.slice(from, k), 'utf8');
    from = k;
    const genuine = REPLACEMENT_BYTES.every((b, i) => bytes[offset + i] === b);
    if (!genuine) break;
    offset += 3;
    from = k + 1;
  }
  return lenient.slice(0, from);
}
