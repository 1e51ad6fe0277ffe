/**
 * Helpers for the stream management (XEP-0198) and CSI (XEP-0352) tests:
 * SM elements, deliveries from the fake registry's side, a client that
 * authenticates without binding (to resume), a login with resumable SM,
 * what a gateway does with a stream whose session was taken over, and
 * switches that cut a gateway off the bus and the store the way a SIGKILL
 * would.
 */
import { expect, vi } from 'vitest';
import { BusError } from '@parley/bus';
import type { Bus, MemoryBus } from '@parley/bus';
import { gatewaySubject } from '@parley/routing';
import type { Envelope, GatewayMessage, StanzaKind } from '@parley/routing';
import type { ResumptionState, ResumptionStore } from '@parley/store';
import type { Element } from '@parley/xml';
import { WAIT } from './harness.js';
import type { Harness } from './harness.js';
import type { TestClient } from './test-client.js';

export const NS_SM = 'urn:xmpp:sm:3';
export const NS_CSI = 'urn:xmpp:csi:0';

/** Sends <enable/>; resolves with <enabled/> or <failed/>. */
export async function enableSm(client: TestClient, resume = true, extra = ''): Promise<Element> {
  client.send(`<enable xmlns='${NS_SM}'${resume ? " resume='true'" : ''}${extra}/>`);
  return client.nextMatching(
    (e) => e.getNS() === NS_SM && (e.localName === 'enabled' || e.localName === 'failed'),
    'the answer to <enable/>',
  );
}

export function smElement(client: TestClient, name: string): Promise<Element> {
  return client.nextMatching((e) => e.getNS() === NS_SM && e.localName === name, `<${name}/>`);
}

export { authenticate } from './harness.js';

/** A bound session with resumable stream management, as `smLogin` leaves it. */
export interface SmLogin {
  client: TestClient;
  /** The full JID bound. */
  jid: string;
  /** The gateway's connection id (the registry's bind). */
  conn: string;
  /** The SM-ID to resume with. */
  id: string;
}

/**
 * Logs `local` (password 'secret') in as `resource`, waits until the
 * registry saw the bind of that new session (not a resumption) and enables
 * resumable stream management.
 */
export async function smLogin(h: Harness, local: string, resource: string): Promise<SmLogin> {
  const { client, jid } = await h.login(local, 'secret', resource);
  const bind = await h.registry.waitFor(
    'bind',
    (b) => b.jid === `${local}@localhost` && b.resource === resource && b.takeover === undefined,
  );
  const enabled = await enableSm(client);
  expect(enabled.localName).toBe('enabled');
  expect(enabled.attr('resume')).toBe('true');
  return { client, jid, conn: bind.conn, id: enabled.attr('id')! };
}

/**
 * What the gateway `holder` does with the stream of `old` once its session
 * was resumed by another stream (XEP-0198 takeover): closes it with
 * <conflict/>; bounces a late delivery to the old connection naming it, for
 * the registry to re-route; lets the connection go without unbinding.
 */
export async function expectReleasedAfterTakeover(holder: Harness, old: SmLogin): Promise<void> {
  expect(await old.client.streamError()).toBe('conflict');
  deliver(holder.bus, holder.gateway.gatewayId, old.conn, old.jid, 'late-to-old');
  const bounce = await holder.registry.waitFor('bounce', (b) => b.env.id === 'late-to-old');
  expect(bounce).toMatchObject({ to: old.jid, conn: old.conn });
  await holder.connectionClosed(old.conn);
  expect((await holder.publishedBeforeMarker()).map((r) => r.msg.t)).not.toContain('unbind');
}

export interface DeliverOptions {
  kind?: StanzaKind;
  type?: string;
  from?: string;
  /** Child elements (serialized); default a body naming the id. */
  payload?: string;
  /** The registry's delivery id (Envelope.did). */
  did?: string;
}

/** Publishes a delivery to `conn` on gateway `gw`, as the session registry would. */
export function deliver(
  bus: MemoryBus,
  gw: string,
  conn: string,
  to: string,
  id: string,
  opts: DeliverOptions = {},
): Envelope {
  const kind = opts.kind ?? 'message';
  const from = opts.from ?? 'dave@localhost/desk';
  const type = opts.type ?? (kind === 'message' ? 'chat' : '');
  const payload = opts.payload ?? (kind === 'message' ? `<body>${id}</body>` : '');
  const typeAttr = type === '' ? '' : ` type="${type}"`;
  const xml = `<${kind} xmlns="jabber:client" from="${from}" to="${to}" id="${id}"${typeAttr}>${payload}</${kind}>`;
  const env: Envelope = { stage: 'in', kind, type, id, from, to, xml };
  if (opts.did !== undefined) env.did = opts.did;
  bus.publish(gatewaySubject(gw), { t: 'deliver', conn, env } satisfies GatewayMessage);
  return env;
}

/** Ids of the stanzas received so far (and removes them from the inbox) until `count` arrived. */
export async function receiveIds(client: TestClient, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const el = await client.nextMatching(
      (e) => e.name === 'message' || e.name === 'presence' || e.name === 'iq',
      `stanza ${ids.length + 1} of ${count}`,
    );
    ids.push(el.attr('id') ?? '?');
  }
  return ids;
}

/** Waits until the store's record satisfies `pred`; resolves with it. */
export function storeState(
  store: ResumptionStore,
  id: string,
  pred: (s: ResumptionState) => boolean,
  what: string,
): Promise<ResumptionState> {
  return vi.waitFor(async () => {
    const s = await store.get(id);
    if (s === undefined || !pred(s))
      throw new Error(`waiting for ${what}; record: ${JSON.stringify(s)}`);
    return s;
  }, WAIT);
}

/**
 * A positive marker for "nothing else arrived": asks for an ack (<r/>) and
 * resolves with everything the client received between this call and the
 * answer (raw text, '' when nothing). The gateway handles deliveries and
 * client elements in order and writes the <a/> behind what it already wrote
 * or holds for the store, so what was due before the <r/> shows up here.
 */
export async function receivedBeforeAck(client: TestClient): Promise<string> {
  const start = client.raw.length;
  client.send(`<r xmlns='${NS_SM}'/>`);
  await smElement(client, 'a');
  const text = client.raw.slice(start);
  return text.slice(0, text.indexOf(`<a xmlns='${NS_SM}'`));
}

/** Turns everything a gateway does on the bus and in the store into nothing, as if its process died. */
export class KillSwitch {
  dead = false;

  kill(): void {
    this.dead = true;
  }

  bus(inner: MemoryBus): Bus {
    const dead = (): boolean => this.dead;
    return wrapMethods(inner, (prop, call) => {
      switch (prop) {
        case 'publish':
          return (...args) => (dead() ? undefined : call(...args));
        case 'publishDurable':
          return (...args) => (dead() ? Promise.resolve() : call(...args));
        case 'request':
          return (...args) =>
            dead() ? Promise.reject(new BusError('closed', 'dead process')) : call(...args);
        case 'subscribe':
          return (subject, handler, opts) =>
            call(
              subject,
              (m: unknown) => (dead() ? undefined : (handler as (m: unknown) => unknown)(m)),
              opts,
            );
        case 'close':
          return () => Promise.resolve();
        default:
          return call;
      }
    });
  }

  store(inner: ResumptionStore): ResumptionStore {
    const dead = (): boolean => this.dead;
    return wrapMethods(inner, (prop, call) =>
      prop === 'close'
        ? () => Promise.resolve()
        : (...args) => (dead() ? Promise.reject(new Error('dead process')) : call(...args)),
    );
  }
}

type Method = (...args: unknown[]) => unknown;

/**
 * A proxy of `inner` whose methods are what `wrap` makes of them, given
 * the method's name and a call of the original on `inner`; other
 * properties pass through.
 */
function wrapMethods<T extends object>(
  inner: T,
  wrap: (prop: string | symbol, call: Method) => Method,
): T {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      const fn = value as Method;
      return wrap(prop, (...args) => fn.apply(target, args));
    },
  });
}
