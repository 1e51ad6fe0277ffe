/**
 * The admin API's voice toward the MUC service (XEP-0045): it speaks as
 * `<admin.mucActor>/admin-api.<instance>`, a JID listed in muc.admins (so
 * it owns every room), sending IQs and presence like any client. The
 * session registry relays what the rooms answer to this instance's relay
 * subject (see @parley/routing admin.ts); nothing here knows the MUC
 * service's internals.
 */
import { randomUUID } from 'node:crypto';
import type { Subscription } from '@parley/bus';
import { adminMucActor } from '@parley/config';
import { bareOf, domainOf } from '@parley/jid';
import {
  ADMIN_RELAY,
  BusProtocol,
  adminRelayResource,
  adminRelaySubject,
  envelopeOf,
  inboundRoutes,
  publishInbound,
} from '@parley/routing';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { AdminDeps } from './deps.js';
import { ApiProblem, xmppProblem } from './problem.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';

interface Waiter {
  match(el: Element): boolean;
  resolve(el: Element): void;
  timer: NodeJS.Timeout;
}

/** The XMPP error condition and text of an error stanza. */
export function stanzaError(el: Element): { condition: string; text?: string } {
  const err = el.getChild('error');
  const condition =
    err?.getChildElements().find((c) => c.name !== 'text')?.name ?? 'undefined-condition';
  const text = err?.getChildText('text');
  return text ? { condition, text } : { condition };
}

export class MucClient {
  /** Bare JID the API acts as. */
  readonly actor: string;
  /** Full JID the API acts as. */
  readonly jid: string;
  private readonly waiters = new Set<Waiter>();
  private readonly sub: Subscription;

  constructor(private readonly deps: AdminDeps) {
    const { config } = deps;
    this.actor = adminMucActor(config);
    this.jid = `${this.actor}/${adminRelayResource(deps.instance)}`;
    const protocol = new BusProtocol({ metrics: deps.metrics, logger: deps.logger });
    this.sub = deps.bus.subscribe(adminRelaySubject(deps.instance), (msg) => {
      const env = protocol.decode(ADMIN_RELAY, msg);
      if (env === undefined) return;
      let el: Element;
      try {
        el = parseXml(env.xml);
      } catch {
        return;
      }
      for (const w of this.waiters) {
        if (!w.match(el)) continue;
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(el);
        return;
      }
    });
  }

  /** Refuses MUC operations when the service is off or the actor has no rights. */
  check(): void {
    const { muc } = this.deps.config;
    if (!muc.enabled)
      throw new ApiProblem('unavailable', 'the MUC service is disabled (muc.enabled)');
    if (!muc.admins.includes(this.actor))
      throw new ApiProblem(
        'unavailable',
        `the admin API acts as ${this.actor} toward the MUC service: list it in muc.admins (or set admin.mucActor to a JID listed there)`,
      );
  }

  private wait(match: (el: Element) => boolean, what: string): Promise<Element> {
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        match,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new ApiProblem('timeout', `${what} did not answer in time`));
        }, this.deps.config.admin.requestTimeoutMs),
      };
      this.waiters.add(w);
    });
  }

  /** Sends a stanza (from the actor unless it has a from) to its recipient's partition. */
  async send(el: Element): Promise<void> {
    if (el.attr('from') === undefined) el.setAttr('from', this.jid);
    const to = el.attr('to') ?? '';
    await publishInbound(
      this.deps.bus,
      envelopeOf(el, 'in'),
      bareOf(to),
      domainOf(to),
      inboundRoutes(this.deps.config),
    );
  }

  /** An IQ to a room (or the service); resolves with the result, throws the error as a problem. */
  async iq(to: string, type: 'get' | 'set', payload: Element): Promise<Element> {
    const id = `adm-${randomUUID()}`;
    const answer = this.wait(
      (el) =>
        el.name === 'iq' &&
        el.attr('id') === id &&
        ['result', 'error'].includes(el.attr('type') ?? ''),
      to,
    );
    await this.send(xml('iq', { type, id, to }, payload));
    const res = await answer;
    if (res.attr('type') === 'error') {
      const e = stanzaError(res);
      throw xmppProblem(e.condition, e.text);
    }
    return res;
  }

  /**
   * A muc#admin query to a room (XEP-0045 8-10): `get` lists the items
   * matching `items`, `set` changes roles and affiliations.
   */
  admin(room: string, type: 'get' | 'set', ...items: Element[]): Promise<Element> {
    return this.iq(room, type, xml('query', { xmlns: NS_MUC_ADMIN }, ...items));
  }

  /** Enters a room as `nick`; resolves with the status codes of the self-presence (201 = created). */
  async join(room: string, nick: string): Promise<number[]> {
    const occupant = `${room}/${nick}`;
    const answer = this.wait(
      (el) => el.name === 'presence' && el.attr('from') === occupant && isSelfOrError(el),
      room,
    );
    await this.send(
      xml(
        'presence',
        { to: occupant },
        xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: 0 })),
      ),
    );
    const p = await answer;
    if (p.attr('type') === 'error') {
      const e = stanzaError(p);
      throw xmppProblem(e.condition, e.text);
    }
    return statusCodes(p);
  }

  /** Leaves a room (does not wait for the room's answer). */
  async leave(room: string, nick: string): Promise<void> {
    await this.send(xml('presence', { to: `${room}/${nick}`, type: 'unavailable' }));
  }

  close(): void {
    this.sub.unsubscribe();
    for (const w of this.waiters) clearTimeout(w.timer);
    this.waiters.clear();
  }
}

function isSelfOrError(el: Element): boolean {
  return el.attr('type') === 'error' || statusCodes(el).includes(110);
}

export function statusCodes(el: Element): number[] {
  const x = el.getChild('x', NS_MUC_USER);
  return (x?.getChildren('status') ?? []).map((s) => Number(s.attr('code')));
}
