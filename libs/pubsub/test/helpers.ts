import { parseJID } from '@parley/jid';
import type { JID } from '@parley/jid';
import { StanzaError } from '@parley/stanza';
import { openMemoryStores } from '@parley/store';
import { parseXml } from '@parley/xml';
import type { Element } from '@parley/xml';
import { BASE_DEFAULTS, PubsubEngine } from '../src/index.js';
import type { NodeConfig, RosterRelation, ServiceProfile } from '../src/index.js';

export const SERVICE = 'pubsub.example.org';

/** An engine over the memory store, recording what it sends. */
export class Harness {
  readonly store = openMemoryStores().pubsub;
  readonly sent: Element[] = [];
  readonly rosters = new Map<string, Map<string, RosterRelation>>();
  private readonly deferred: (() => Promise<void>)[] = [];
  readonly engine: PubsubEngine;
  clock = 1_700_000_000_000;

  constructor(
    profile: Partial<Omit<ServiceProfile, 'defaults'>> & { defaults?: Partial<NodeConfig> } = {},
  ) {
    const { defaults, ...rest } = profile;
    this.engine = new PubsubEngine(
      {
        store: this.store,
        // Serialized and parsed again, as the registry does: nothing shares element trees.
        send: (el) => void this.sent.push(parseXml(el.toString())),
        rosterItem: async (owner, contact) => this.rosters.get(owner)?.get(contact),
        defer: (task) => void this.deferred.push(task),
        now: () => this.clock++,
      },
      {
        pep: false,
        defaults: { ...BASE_DEFAULTS, ...defaults },
        limits: { maxItems: 100 },
        maxPayloadBytes: 10_000,
        autoCreate: true,
        canCreate: (_service, who) => who.domain === 'example.org',
        ...rest,
      },
    );
  }

  roster(
    owner: string,
    contact: string,
    subscription: RosterRelation['subscription'],
    groups: string[] = [],
  ): void {
    let m = this.rosters.get(owner);
    if (!m) this.rosters.set(owner, (m = new Map()));
    m.set(contact, { subscription, groups });
  }

  /** Runs an IQ; returns the result payload or the thrown StanzaError. */
  async iq(
    from: string,
    type: 'get' | 'set',
    payload: string,
    service = SERVICE,
  ): Promise<Element | undefined> {
    return this.engine.handleIq(service, parseJID(from), type, parseXml(payload));
  }

  async fails(
    from: string,
    type: 'get' | 'set',
    payload: string,
    service = SERVICE,
  ): Promise<StanzaError> {
    try {
      await this.iq(from, type, payload, service);
    } catch (err) {
      if (err instanceof StanzaError) return err;
      throw err;
    }
    throw new Error('expected a stanza error');
  }

  /** The error an IQ fails with, as `describeError` writes it. */
  async failure(
    from: string,
    type: 'get' | 'set',
    payload: string,
    service = SERVICE,
  ): Promise<string> {
    return describeError(await this.fails(from, type, payload, service));
  }

  async flush(): Promise<void> {
    while (this.deferred.length > 0) await this.deferred.shift()!();
  }

  /** Sent stanzas since the last call. */
  take(): Element[] {
    return this.sent.splice(0);
  }
}

export function jid(s: string): JID {
  return parseJID(s);
}

/** `condition` / `pubsub-condition` of an error, for compact assertions. */
export function describeError(err: StanzaError): string {
  const app = err.appCondition;
  return app
    ? `${err.condition}/${app.name}${app.attr('feature') ? `:${app.attr('feature')}` : ''}`
    : err.condition;
}

export const PS = "xmlns='http://jabber.org/protocol/pubsub'";
export const OWNER = "xmlns='http://jabber.org/protocol/pubsub#owner'";

export function form(formType: string, fields: Record<string, string | string[]>): string {
  let s = `<x xmlns='jabber:x:data' type='submit'><field var='FORM_TYPE' type='hidden'><value>${formType}</value></field>`;
  for (const [k, v] of Object.entries(fields))
    s += `<field var='${k}'>${(Array.isArray(v) ? v : [v]).map((x) => `<value>${x}</value>`).join('')}</field>`;
  return s + '</x>';
}

export const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';

/** Create-and-configure (XEP-0060 8.1.3): `<create node/>` with a node_config form of `fields`. */
export function createConfigured(node: string, fields: Record<string, string | string[]>): string {
  return `<pubsub ${PS}><create node='${node}'/><configure>${form(NODE_CONFIG, fields)}</configure></pubsub>`;
}
export const PUBLISH_OPTIONS = 'http://jabber.org/protocol/pubsub#publish-options';
