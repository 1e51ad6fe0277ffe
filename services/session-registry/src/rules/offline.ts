import { envelopeOf } from '@parley/routing';
import { NS_DELAY, delayElement, serviceUnavailable } from '@parley/stanza';
import type { Element } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import type { SessionEntry } from '../sessions/session-table.js';

/**
 * Offline storage (XEP-0160): keeps a message for an account with no
 * available resource, stamped with <delay/>; answers service-unavailable
 * when the account's queue is full (offline.maxPerUser messages, or
 * offline.maxBytesPerUser bytes), so nothing vanishes silently.
 */
export async function storeOffline(
  core: RegistryContext,
  owner: string,
  el: Element,
): Promise<void> {
  const now = Date.now();
  const copy = el.clone();
  if (!copy.getChild('delay', NS_DELAY)) {
    copy.append(
      delayElement(owner.slice(owner.indexOf('@') + 1), new Date(now), 'Offline Storage'),
    );
  }
  const stored = await core.stores.offline.push(
    owner,
    copy.toString(),
    now,
    core.config.offline.maxPerUser,
    core.config.offline.maxBytesPerUser,
  );
  if (!stored) {
    // A full queue, by count or by bytes: XEP-0160 section 2 (step 3) says the server
    // returns <service-unavailable/> when it cannot store the message "because the
    // recipient's offline message queue is full", which is RFC 6121 8.5.2.2.1's answer
    // (no available resource) for a message the server does not store. Not <resource-constraint/>:
    // that names the server's own trouble (RFC 6120 8.3.3.18), and the same answer as
    // for any undeliverable message tells the sender nothing about the recipient.
    core.offline.messages.inc({ event: 'refused' });
    core.bounce(el, serviceUnavailable('offline storage is full'));
    return;
  }
  core.offline.messages.inc({ event: 'stored' });
  core.offline.queueLength.observe(await core.stores.offline.count(owner));
}

/** Delivers and then deletes the stored messages of an account (at initial presence). */
export async function deliverOffline(
  core: RegistryContext,
  owner: string,
  session: SessionEntry,
): Promise<void> {
  for (;;) {
    const batch = await core.stores.offline.list(owner, 100);
    if (batch.length === 0) return;
    for (const m of batch) core.deliver(session, envelopeOf(core.parse(m.xml), 'in'));
    core.offline.messages.inc({ event: 'delivered' }, batch.length);
    await core.stores.offline.remove(
      owner,
      batch.map((m) => m.id),
    );
    if (batch.length < 100) return;
  }
}
