import type { JID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import { serviceUnavailable } from '@parley/stanza';
import type { RegistryContext } from '../registry-context.js';
import { storeOffline } from './offline.js';
import type { SessionEntry } from '../sessions/session-table.js';

/**
 * Inbound message for a local account (RFC 6121 section 8.5).
 * `skipConn` excludes a connection that just failed to take the message.
 */
export async function messageIn(
  core: RegistryContext,
  env: Envelope,
  to: JID,
  skipConn?: string,
): Promise<void> {
  const owner = to.toBareString();
  const type = env.type || 'normal';
  // Modules hear about a message once: not again when a bounced copy is re-routed.
  const delivered = (sessions: SessionEntry[]) =>
    skipConn === undefined ? core.messageDelivered(owner, env, sessions) : undefined;
  /** To the addressed resource, when it has a session that may take it; whether it did. */
  const toResource = async (): Promise<boolean> => {
    const s = to.resource ? core.sessions.get(owner, to.resource) : undefined;
    if (!s || s.conn === skipConn) return false;
    core.deliver(s, env);
    await delivered([s]);
    return true;
  };
  if (type === 'error') {
    await toResource();
    return;
  }
  // No such resource (RFC 6121 8.5.3.2.1): groupchat bounces (below), others go to the bare JID.
  if (await toResource()) return;
  if (type === 'groupchat') {
    // Never delivered to a bare JID, whether resources are available (RFC 6121 8.5.2.1.1)
    // or not (8.5.2.2.1: no offline storage either): the sender gets service-unavailable.
    core.bounce(core.parse(env), serviceUnavailable());
    return;
  }
  const candidates = core.sessions.available(owner, true).filter((s) => s.conn !== skipConn);
  if (candidates.length > 0) {
    const targets = type === 'headline' ? candidates : highestPriority(candidates);
    for (const s of targets) core.deliver(s, env);
    await delivered(targets);
    return;
  }
  if (!(await core.stores.accounts.get(owner))) {
    // Unknown account (RFC 6121 8.5.1): error for chat and normal, silence for the rest.
    if (type === 'chat' || type === 'normal') core.bounce(core.parse(env), serviceUnavailable());
    return;
  }
  if (type === 'chat' || type === 'normal') {
    await storeOffline(core, owner, core.parse(env));
    await delivered([]);
  }
}

function highestPriority(sessions: SessionEntry[]): SessionEntry[] {
  let top = -129;
  for (const s of sessions) if (s.priority > top) top = s.priority;
  return sessions.filter((s) => s.priority === top);
}
