import type { JID } from '@parley/jid';
import type { Envelope } from '@parley/routing';
import { serviceUnavailable } from '@parley/stanza';
import type { RegistryContext } from '../registry-context.js';
import { storeOffline } from './offline.js';
import type { SessionEntry } from '../sessions/session-table.js';

/**
 * Inbound message for a local account (RFC 6121 section 8.5).
 * `skipConn` excludes a connection that just failed to take the message.
 * Synchronous when the message goes to a session and the modules' delivery
 * hooks are (every routed chat message takes this path).
 */
export function messageIn(
  core: RegistryContext,
  env: Envelope,
  to: JID,
  skipConn?: string,
): void | Promise<void> {
  const owner = to.toBareString();
  const type = env.type || 'normal';
  // To the addressed resource, when it has a session that may take it.
  if (to.resource) {
    const s = core.sessions.get(owner, to.resource);
    if (s && s.conn !== skipConn) {
      core.deliver(s, env);
      return delivered(core, owner, env, skipConn, [s]);
    }
  }
  // No such resource (RFC 6121 8.5.3.2.1): errors are dropped, groupchat bounces (below),
  // others go to the bare JID.
  if (type === 'error') return;
  if (type === 'groupchat') {
    // Never delivered to a bare JID, whether resources are available (RFC 6121 8.5.2.1.1)
    // or not (8.5.2.2.1: no offline storage either): the sender gets service-unavailable.
    core.bounce(core.parse(env), serviceUnavailable());
    return;
  }
  const targets = deliverable(core.sessions.available(owner, true), skipConn, type === 'headline');
  if (targets.length > 0) {
    for (const s of targets) core.deliver(s, env);
    return delivered(core, owner, env, skipConn, targets);
  }
  return noSession(core, owner, env, type, skipConn);
}

/** Modules hear about a message once: not again when a bounced copy is re-routed. */
function delivered(
  core: RegistryContext,
  owner: string,
  env: Envelope,
  skipConn: string | undefined,
  sessions: SessionEntry[],
): void | Promise<void> {
  return skipConn === undefined ? core.messageDelivered(owner, env, sessions) : undefined;
}

/**
 * The available sessions a message to the bare JID goes to: all of them for
 * a headline, else those of the highest priority; never `skipConn`.
 */
function deliverable(
  available: SessionEntry[],
  skipConn: string | undefined,
  all: boolean,
): SessionEntry[] {
  const candidates =
    skipConn === undefined ? available : available.filter((s) => s.conn !== skipConn);
  if (all || candidates.length <= 1) return candidates;
  return highestPriority(candidates);
}

/** No session takes the message: offline storage, or an error for an unknown account. */
async function noSession(
  core: RegistryContext,
  owner: string,
  env: Envelope,
  type: string,
  skipConn: string | undefined,
): Promise<void> {
  if (!(await core.stores.accounts.get(owner))) {
    // Unknown account (RFC 6121 8.5.1): error for chat and normal, silence for the rest.
    if (type === 'chat' || type === 'normal') core.bounce(core.parse(env), serviceUnavailable());
    return;
  }
  if (type === 'chat' || type === 'normal') {
    await storeOffline(core, owner, core.parse(env));
    await delivered(core, owner, env, skipConn, []);
  }
}

function highestPriority(sessions: SessionEntry[]): SessionEntry[] {
  let top = -129;
  for (const s of sessions) if (s.priority > top) top = s.priority;
  return sessions.filter((s) => s.priority === top);
}
