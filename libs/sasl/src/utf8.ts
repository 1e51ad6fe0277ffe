const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Decodes strict UTF-8; undefined for invalid byte sequences. */
export function decodeUtf8(data: Buffer): string | undefined {
  try {
    return decoder.decode(data);
  } catch {
    return undefined;
  }
}
