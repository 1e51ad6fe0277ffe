/**
 * BOSH session ids. The sid is the session's only credential (XEP-0124
 * section 18: unpredictable), and it names the gateway holding the session,
 * so that any gateway of the cluster can forward a request to it:
 * `<32 hex digits of randomness>.<gatewayId>` (gateway ids are
 * `[A-Za-z0-9_-]+`, as in their bus subjects).
 */
import { randomBytes } from 'node:crypto';

export function newSid(gatewayId: string): string {
  return `${randomBytes(16).toString('hex')}.${gatewayId}`;
}

/** The gateway a sid was issued by; undefined when the sid is not one of ours at all. */
export function sidOwner(sid: string): string | undefined {
  const m = /^[0-9a-f]{32}\.([A-Za-z0-9_-]{1,128})$/.exec(sid);
  return m === null ? undefined : m[1];
}
