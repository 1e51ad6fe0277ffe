const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes canonical base64 (RFC 4648 section 4, padded, no whitespace, zero
 * pad bits). Returns undefined for anything else.
 */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!BASE64.test(text)) return undefined;
  const data = Buffer.from(text, 'base64');
  return data.toString('base64') === text ? data : undefined;
}
