/** Whether in-band registration (XEP-0077) is open to a not yet authenticated connection. */
import type { Connection } from '../connection.js';

export function registrationAvailable(conn: Connection): boolean {
  const { registration } = conn.ctx.config;
  return registration.enabled && (conn.secure || registration.allowWithoutTls);
}
