/**
 * The registry's side of the admin API (services/admin-api; messages in
 * @parley/routing admin.ts):
 *
 * - per-account requests on the account's route subject, handled in the
 *   partition's order: list and kick sessions, run an account IQ as the
 *   account (roster, vcard, private storage), set a subscription state;
 * - a fan-out query every worker answers for the partitions it owns:
 *   statistics and session listings;
 * - a relay: stanzas for `<admin.mucActor>/admin-api.<instance>` (the MUC
 *   service's answers to the API) go to that API instance's subject.
 */
import { Priority } from '@parley/modules';
import type { BusMessage, Subscription } from '@parley/bus';
import { adminMucActor } from '@parley/config';
import type { Config } from '@parley/config';
import { tryParseJID } from '@parley/jid';
import {
  ADMIN_QUERIES,
  ADMIN_REGISTRY_SUBJECT,
  adminRelayInstance,
  adminRelaySubject,
  envelopeOf,
  gatewaySubject,
  stamp,
} from '@parley/routing';
import type {
  AdminQuery,
  AdminQueryAnswer,
  AdminReply,
  AdminRequest,
  AdminSessionInfo,
  GatewayMessage,
} from '@parley/routing';
import { StanzaError } from '@parley/stanza';
import type { RosterItem } from '@parley/store';
import type { Metrics } from '@parley/telemetry';
import { parseXml } from '@parley/xml';
import type { RegistryContext } from '../registry-context.js';
import type { IqHandlers } from '../rules/iq.js';
import { handlerKey } from '../rules/iq.js';
import { newItem, saveItem, sendCurrentPresence, sendUnavailableFromAll } from '../rules/roster.js';
import { RESUMABLE, endSession } from '../sessions/sessions.js';
import type { SessionEntry } from '../sessions/session-table.js';
import { hasSubFrom } from '../rules/subscription-state.js';
import { DeliveryRate } from './delivery-rate.js';

/** The bare JID the admin API acts as toward the MUC service. */
export function mucActorOf(config: Config): string {
  return adminMucActor(config);
}

export interface AdminControl {
  handle(m: AdminRequest, respond: BusMessage['respond']): Promise<void>;
  stop(): void;
}

export function startAdminControl(
  core: RegistryContext,
  iqs: IqHandlers,
  owned: () => number[],
  metrics: Metrics,
): AdminControl {
  const actor = mucActorOf(core.config);
  // Before every module: the relay's stanzas are for the admin API, not the account.
  core.hooks.inbound.add(
    ({ env, to }) => {
      if (!to.resource.startsWith('admin-api.') || to.toBareString() !== actor) return undefined;
      const instance = adminRelayInstance(to.resource);
      if (instance === undefined) return undefined;
      core.bus.publish(adminRelaySubject(instance), env);
      return 'drop';
    },
    Priority.first,
    'admin-api relay',
  );
  const rate = new DeliveryRate(metrics);
  const node = core.config.server.nodeId;
  const sub: Subscription = core.bus.subscribe(ADMIN_REGISTRY_SUBJECT, (msg) => {
    const q = core.protocol.decode(ADMIN_QUERIES, msg);
    if (q === undefined) return;
    core.bus.publish(q.replyTo, answerQuery(core, q, node, owned(), rate.perSecond()));
  });
  return {
    async handle(m, respond) {
      const reply = await handleRequest(core, iqs, m).catch((err: unknown): AdminReply => {
        core.logger.error('admin request failed', { t: m.t, err });
        return { ok: false, condition: 'internal-server-error' };
      });
      respond?.(stamp(reply));
    },
    stop() {
      sub.unsubscribe();
      rate.stop();
    },
  };
}

async function handleRequest(
  core: RegistryContext,
  iqs: IqHandlers,
  m: AdminRequest,
): Promise<AdminReply> {
  switch (m.t) {
    case 'admin-sessions':
      return { ok: true, sessions: core.sessions.resources(m.jid).map((e) => info(m.jid, e)) };
    case 'admin-kick':
      return { ok: true, kicked: await kick(core, m.jid, m.resource, m.text) };
    case 'admin-iq':
      return accountIq(core, iqs, m.jid, m.xml);
    case 'admin-subscription':
      await setSubscription(core, m);
      return { ok: true };
  }
}

export function info(bare: string, e: SessionEntry): AdminSessionInfo {
  const out: AdminSessionInfo = {
    jid: `${bare}/${e.resource}`,
    gw: e.gw,
    conn: e.conn,
    available: e.available,
    priority: e.priority,
    boundAt: e.boundAt,
    resumable: e.flags?.[RESUMABLE] === true,
  };
  if (e.available && e.presence) {
    try {
      const p = parseXml(e.presence);
      const show = p.getChildText('show');
      const status = p.getChildText('status');
      if (show) out.show = show;
      if (status) out.status = status;
    } catch {
      // a stored presence that does not parse has no show/status to report
    }
  }
  return out;
}

async function kick(
  core: RegistryContext,
  bare: string,
  resource?: string,
  text?: string,
): Promise<number> {
  const victims = core.sessions
    .resources(bare)
    .filter((s) => resource === undefined || s.resource === resource);
  for (const s of victims) {
    const msg: GatewayMessage = {
      t: 'kick',
      conn: s.conn,
      condition: 'policy-violation',
      text: text ?? 'Disconnected by an administrator',
    };
    await core.bus.publishDurable(gatewaySubject(s.gw), msg);
    await endSession(core, bare, s.resource, s.conn);
  }
  return victims.length;
}

async function accountIq(
  core: RegistryContext,
  iqs: IqHandlers,
  owner: string,
  text: string,
): Promise<AdminReply> {
  const jid = tryParseJID(owner);
  if (!jid || !(await core.stores.accounts.get(owner)))
    return { ok: false, condition: 'item-not-found', text: 'no such account' };
  let iq;
  try {
    iq = parseXml(text);
  } catch {
    return { ok: false, condition: 'bad-request', text: 'not well-formed' };
  }
  const type = iq.attr('type');
  const payload = iq.getChildElements()[0];
  const handler =
    payload && (type === 'get' || type === 'set')
      ? iqs.account.get(handlerKey(type, payload.getNS() ?? ''))
      : undefined;
  if (!payload || !handler) return { ok: false, condition: 'service-unavailable' };
  iq.setAttr('from', owner);
  iq.setAttr('to', owner);
  try {
    const result = await handler({ iq, payload, from: jid, to: jid, env: envelopeOf(iq, 'out') });
    return result ? { ok: true, xml: result.toString() } : { ok: true };
  } catch (err) {
    if (err instanceof StanzaError) {
      return err.text === undefined
        ? { ok: false, condition: err.condition }
        : { ok: false, condition: err.condition, text: err.text };
    }
    throw err;
  }
}

async function setSubscription(
  core: RegistryContext,
  m: Extract<AdminRequest, { t: 'admin-subscription' }>,
): Promise<void> {
  const before = await core.stores.rosters.getItem(m.jid, m.contact);
  const item: RosterItem = { ...(before ?? newItem(m.contact)), subscription: m.subscription };
  item.listed = true;
  delete item.ask;
  delete item.pendingIn;
  delete item.pendingInStanza;
  delete item.approved;
  if (m.name !== undefined) item.name = m.name;
  if (m.groups !== undefined) item.groups = [...m.groups];
  await saveItem(core, m.jid, before, item);
  const had = before !== undefined && hasSubFrom(before);
  if (!had && hasSubFrom(item)) sendCurrentPresence(core, m.jid, m.contact);
  if (had && !hasSubFrom(item)) await sendUnavailableFromAll(core, m.jid, m.contact);
}

function answerQuery(
  core: RegistryContext,
  q: AdminQuery,
  node: string,
  partitions: number[],
  messagesPerSecond: number,
): AdminQueryAnswer {
  const byGateway: Record<string, number> = {};
  for (const [, e] of core.sessions.all()) byGateway[e.gw] = (byGateway[e.gw] ?? 0) + 1;
  const answer: AdminQueryAnswer = {
    node,
    partitions,
    sessions: core.sessions.size(),
    users: core.sessions.users(),
    byGateway,
    messagesPerSecond,
  };
  if (q.t !== 'sessions') return answer;
  const suffix = q.domain === undefined ? undefined : `@${q.domain}`;
  const matching: Array<[string, SessionEntry]> = [];
  let count = 0;
  for (const [bare, e] of core.sessions.all()) {
    if (suffix !== undefined && !bare.endsWith(suffix)) continue;
    count++;
    if (q.after !== undefined && `${bare}/${e.resource}` <= q.after) continue;
    matching.push([bare, e]);
  }
  const full = (x: [string, SessionEntry]) => `${x[0]}/${x[1].resource}`;
  matching.sort((a, b) => (full(a) < full(b) ? -1 : full(a) > full(b) ? 1 : 0));
  answer.matching = count;
  answer.list = matching.slice(0, q.limit).map(([bare, e]) => info(bare, e));
  return answer;
}
