/**
 * Drives a MUC service over an in-process bus for unit tests: stanzas are
 * published to the room's MUC partition as the session registry would,
 * and whatever the service routes to users is recorded, per recipient.
 */
import { MemoryBus } from '@parley/bus';
import { loadConfig } from '@parley/config';
import type { Config, DeepPartial } from '@parley/config';
import { parseJID } from '@parley/jid';
import type { RegistryMessage } from '@parley/routing';
import { envelopeOf, mucSubject } from '@parley/routing';
import { NS_STANZAS } from '@parley/stanza';
import { openMemoryStores } from '@parley/store';
import type { Stores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import type { Metrics } from '@parley/telemetry';
import { parseXml, xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { MucModule } from '../modules/types.js';
import { NS_MUC, NS_MUC_USER } from '../ns.js';
import { startMucService } from '../service.js';
import type { MucService } from '../service.js';
import type { MucStateStore } from '../state-store.js';

export const SERVICE = 'conference.localhost';

export function mucConfig(overrides: DeepPartial<Config> = {}): Config {
  return loadConfig({
    env: {},
    overrides: {
      ...overrides,
      server: {
        domains: ['localhost'],
        dataDir: '/nonexistent',
        nodeId: 'test',
        ...overrides.server,
      },
      log: { level: 'error' },
    },
  });
}

export interface HarnessOptions {
  config?: DeepPartial<Config>;
  stores?: Stores;
  stateStore?: MucStateStore;
  bus?: MemoryBus;
  metrics?: Metrics;
  /** Receives the service's log lines (warn and above). */
  logs?: string[];
  /** The modules of the service; default: every built-in one. */
  modules?: readonly MucModule[];
}

export class MucHarness {
  readonly log: Element[] = [];
  private cursor = 0;
  private idSeq = 0;

  private constructor(
    readonly bus: MemoryBus,
    readonly stores: Stores,
    readonly config: Config,
    readonly service: MucService,
  ) {
    bus.subscribe('xmpp.r.>', (m) => {
      const msg = m.data as RegistryMessage;
      if (msg.t === 'stanza') this.log.push(parseXml(msg.env.xml));
    });
  }

  static async start(opts: HarnessOptions = {}): Promise<MucHarness> {
    const bus = opts.bus ?? new MemoryBus();
    const stores = opts.stores ?? openMemoryStores();
    const config = mucConfig(opts.config);
    const service = startMucService({
      config,
      bus,
      stores,
      logger: createLogger({
        service: 'muc-test',
        level: opts.logs ? 'warn' : 'error',
        sink: (line) => void opts.logs?.push(line),
      }),
      metrics: opts.metrics ?? createMetrics(),
      ...(opts.stateStore ? { stateStore: opts.stateStore } : {}),
      ...(opts.modules ? { modules: opts.modules } : {}),
    });
    await service.ready;
    return new MucHarness(bus, stores, config, service);
  }

  nextId(): string {
    return `t${++this.idSeq}`;
  }

  /** Publishes a stanza to the MUC partition of its 'to' and waits until it was handled. */
  async send(el: Element): Promise<void> {
    const to = parseJID(el.attr('to')!);
    const msg: RegistryMessage = {
      t: 'stanza',
      env: { ...envelopeOf(el, 'in'), ts: performance.now() },
    };
    await this.bus.publishDurable(mucSubject(to.toBareString(), this.config.muc.partitions), msg);
    await this.settle();
  }

  async settle(): Promise<void> {
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setImmediate(r));
      await this.service.idle();
    }
  }

  /** Later queries only see stanzas sent after this point. */
  mark(): void {
    this.cursor = this.log.length;
  }

  /** Stanzas for `to` (a full JID, or a bare JID matching any resource) since the mark. */
  to(to: string, pred: (el: Element) => boolean = () => true): Element[] {
    return this.log.slice(this.cursor).filter((el) => {
      const t = el.attr('to') ?? '';
      return (t === to || t.startsWith(`${to}/`)) && pred(el);
    });
  }

  /** Sends presence to room/nick from `from` and returns what `from` received. */
  async join(
    room: string,
    nick: string,
    from: string,
    opts: { x?: Element | false; children?: Element[] } = {},
  ): Promise<Element[]> {
    this.mark();
    const p = xml('presence', { from, to: `${room}/${nick}`, id: this.nextId() });
    if (opts.x !== false) p.append(opts.x ?? xml('x', { xmlns: NS_MUC }));
    for (const c of opts.children ?? []) p.append(c);
    await this.send(p);
    return this.to(from);
  }

  /** Creates an unlocked room: join, then accept the default configuration (instant room). */
  async createInstant(
    room: string,
    nick: string,
    from: string,
    form?: Element,
  ): Promise<Element[]> {
    const got = await this.join(room, nick, from);
    const iq = await this.iq(
      from,
      room,
      'set',
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/muc#owner' },
        form ?? xml('x', { xmlns: 'jabber:x:data', type: 'submit' }),
      ),
    );
    if (iq.attr('type') !== 'result') throw new Error(`configuration failed: ${iq.toString()}`);
    return got;
  }

  async iq(from: string, to: string, type: 'get' | 'set', payload: Element): Promise<Element> {
    const id = this.nextId();
    this.mark();
    await this.send(xml('iq', { from, to, type, id }, payload));
    const reply = this.to(from, (el) => el.name === 'iq' && el.attr('id') === id)[0];
    if (!reply) throw new Error(`no reply to iq ${id}`);
    return reply;
  }

  async message(from: string, to: string, type: string, ...children: Element[]): Promise<void> {
    this.mark();
    await this.send(xml('message', { from, to, type, id: this.nextId() }, ...children));
  }

  async close(): Promise<void> {
    await this.service.close();
  }
}

/** The stanza error condition of an error stanza. */
export function condition(el: Element | undefined): string | undefined {
  return el
    ?.getChild('error')
    ?.getChildElements()
    .find((c) => c.getNS() === NS_STANZAS && c.localName !== 'text')?.localName;
}

/** Status codes of the muc#user `<x/>` of a stanza. */
export function codes(el: Element | undefined): number[] {
  return (
    el
      ?.getChild('x', NS_MUC_USER)
      ?.getChildren('status')
      .map((s) => Number(s.attr('code'))) ?? []
  );
}

export function item(el: Element | undefined): Element | undefined {
  return el?.getChild('x', NS_MUC_USER)?.getChild('item');
}

export function form(
  fields: Record<string, string | string[]>,
  formType = 'http://jabber.org/protocol/muc#roomconfig',
): Element {
  const x = xml('x', { xmlns: 'jabber:x:data', type: 'submit' });
  x.c('field', { var: 'FORM_TYPE' }).c('value').t(formType);
  for (const [k, v] of Object.entries(fields)) {
    const f = x.c('field', { var: k });
    for (const one of Array.isArray(v) ? v : [v]) f.c('value').t(one);
  }
  return x;
}
