/**
 * The MUC service starts its features as modules (@parley/modules): what a
 * room or the service answers and advertises is what the enabled modules
 * registered, and a broken module set stops the start with an error that
 * names the modules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import type { Config, DeepPartial } from '@parley/config';
import { ModuleError, ServiceKey } from '@parley/modules';
import { NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, notAcceptable } from '@parley/stanza';
import { openMemoryStores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import {
  NS_MAM,
  NS_MUC,
  NS_MUC_REQUEST,
  NS_MUC_SELF_PING,
  NS_MUC_STABLE_ID,
  NS_MUC_UNIQUE,
  NS_OCCUPANT_ID,
  NS_SID,
  NS_VCARD,
} from '../ns.js';
import { startMucService } from '../service.js';
import { MucHarness, SERVICE, condition, mucConfig } from '../testing/harness.js';
import { mucModules } from './index.js';
import type { MucModule } from './types.js';

const ROOM = `lobby@${SERVICE}`;
const A = 'alice@localhost/a';
const B = 'bob@localhost/b';
const NS_TEST = 'urn:parley:test:0';

function startError(modules: readonly MucModule[], config: DeepPartial<Config> = {}): ModuleError {
  try {
    void startMucService({
      config: mucConfig(config),
      bus: new MemoryBus(),
      stores: openMemoryStores(),
      logger: createLogger({ service: 'muc-test', level: 'error' }),
      metrics: createMetrics(),
      modules,
    }).close();
  } catch (err) {
    if (err instanceof ModuleError) return err;
    throw err;
  }
  throw new Error('the MUC service started');
}

function features(reply: Element): (string | undefined)[] {
  return (
    reply
      .getChild('query')
      ?.getChildren('feature')
      .map((f) => f.attr('var')) ?? []
  );
}

const discoInfo = () => xml('query', { xmlns: NS_DISCO_INFO });

describe('module contract of the MUC service', () => {
  let h: MucHarness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('starts every built-in module after what it requires; rooms and the service advertise what they registered', async () => {
    h = await MucHarness.start();
    const order = h.service.modules.map((m) => m.name);
    expect([...order].sort()).toEqual(mucModules.map((m) => m.name).sort());
    for (const m of h.service.modules)
      for (const dep of m.requires ?? [])
        expect(order.indexOf(dep)).toBeLessThan(order.indexOf(m.name));
    await h.createInstant(ROOM, 'alice', A);
    expect(features(await h.iq(B, ROOM, 'get', discoInfo()))).toEqual(
      [
        NS_MUC,
        NS_MUC_STABLE_ID,
        NS_MUC_REQUEST,
        NS_OCCUPANT_ID,
        NS_SID,
        'muc_public',
        'muc_temporary',
        'muc_open',
        'muc_unsecured',
        'muc_unmoderated',
        'muc_semianonymous',
        NS_DISCO_INFO,
        NS_DISCO_ITEMS,
        NS_VCARD,
        NS_MAM,
        NS_MUC_SELF_PING,
      ].sort(),
    );
    expect(features(await h.iq(B, SERVICE, 'get', discoInfo()))).toEqual(
      [NS_MUC, NS_OCCUPANT_ID, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_MUC_UNIQUE, NS_PING].sort(),
    );
  });

  it('a room feature a module computes follows the room: no MAM feature on a room that is not logged', async () => {
    h = await MucHarness.start({ config: { muc: { roomDefaults: { logging: false } } } });
    await h.createInstant(ROOM, 'alice', A);
    const room = features(await h.iq(B, ROOM, 'get', discoInfo()));
    expect(room).toContain(NS_MUC);
    expect(room).not.toContain(NS_MAM);
  });

  it('a disabled module answers nothing and is not advertised', async () => {
    h = await MucHarness.start({ config: { modules: { disabled: ['muc-vcard'] } } });
    await h.createInstant(ROOM, 'alice', A);
    expect(h.service.modules.map((m) => m.name)).not.toContain('muc-vcard');
    const vcard = await h.iq(B, ROOM, 'get', xml('vCard', { xmlns: NS_VCARD }));
    expect(condition(vcard)).toBe('service-unavailable');
    const room = features(await h.iq(B, ROOM, 'get', discoInfo()));
    expect(room).toContain(NS_MUC);
    expect(room).toContain(NS_DISCO_INFO);
    expect(room).not.toContain(NS_VCARD);
    // The modules still enabled answer as before.
    const mam = await h.iq(A, ROOM, 'get', xml('query', { xmlns: NS_MAM }));
    expect(mam.attr('type')).toBe('result');
  });

  it('without muc-ping, a self-ping goes to the occupant and the room no longer claims XEP-0410', async () => {
    h = await MucHarness.start({ config: { modules: { disabled: ['muc-ping'] } } });
    await h.createInstant(ROOM, 'alice', A);
    await h.join(ROOM, 'bob', B);
    h.mark();
    await h.send(
      xml(
        'iq',
        { from: B, to: `${ROOM}/bob`, type: 'get', id: 'self1' },
        xml('ping', { xmlns: NS_PING }),
      ),
    );
    const got = h.to(B, (el) => el.name === 'iq');
    expect(got).toHaveLength(1);
    expect(got[0]?.attr('type')).toBe('get');
    expect(got[0]?.attr('from')).toBe(`${ROOM}/bob`);
    expect(got[0]?.getChild('ping', NS_PING)).toBeDefined();
    expect(features(await h.iq(B, ROOM, 'get', discoInfo()))).not.toContain(NS_MUC_SELF_PING);
    expect(condition(await h.iq(B, SERVICE, 'get', xml('ping', { xmlns: NS_PING })))).toBe(
      'service-unavailable',
    );
  });

  it('refuses a second handler for the same room IQ, naming both modules', () => {
    const second: MucModule = {
      name: 'muc-vcard-again',
      xeps: [],
      register(ctx) {
        ctx.roomIq('get', NS_VCARD, () => undefined);
      },
    };
    const err = startError([...mucModules, second]);
    expect(err.code).toBe('duplicate-handler');
    expect(err.message).toBe(
      `module 'muc-vcard-again' registers a room IQ handler for 'get ${NS_VCARD}', already handled by module 'muc-vcard'`,
    );
  });

  it('refuses a second handler for the same service IQ, naming both modules', () => {
    const second: MucModule = {
      name: 'muc-ping-again',
      xeps: [],
      register(ctx) {
        ctx.serviceIq('get', NS_PING, () => undefined);
      },
    };
    const err = startError([...mucModules, second]);
    expect(err.code).toBe('duplicate-handler');
    expect(err.message).toContain("'muc-ping-again'");
    expect(err.message).toContain("'muc-ping'");
  });

  it('refuses an unknown muc- name in modules.disabled, naming it and listing the known ones', () => {
    const err = startError(mucModules, { modules: { disabled: ['muc-vcrad'] } });
    expect(err.code).toBe('unknown-module');
    expect(err.message).toBe(
      `cannot disable module 'muc-vcrad': no such module (known: ${mucModules
        .map((m) => m.name)
        .sort()
        .join(', ')})`,
    );
  });

  it("leaves the session registry's names in modules.disabled to the registry", async () => {
    h = await MucHarness.start({ config: { modules: { disabled: ['vcard', 'nope'] } } });
    expect(h.service.modules).toHaveLength(mucModules.length);
  });

  it('refuses to disable muc-core, and muc-owner, which muc-core requires', () => {
    const core = startError(mucModules, { modules: { disabled: ['muc-core'] } });
    expect(core.code).toBe('missing-dependency');
    expect(core.message).toContain("'muc-core'");
    expect(core.message).toContain('muc.enabled');
    const owner = startError(mucModules, { modules: { disabled: ['muc-owner'] } });
    expect(owner.code).toBe('missing-dependency');
    expect(owner.message).toContain(
      "module 'muc-core' requires module 'muc-owner', which is disabled",
    );
  });

  it('keeps the IQ error rules for every handler', async () => {
    const test: MucModule = {
      name: 'muc-test',
      xeps: [],
      register(ctx) {
        ctx.roomIq('get', NS_TEST, ({ payload }) => {
          if (payload.attr('fail') === 'stanza') throw notAcceptable('refused');
          if (payload.attr('fail') === 'bug') throw new Error('a bug');
          return xml('answer', { xmlns: NS_TEST });
        });
      },
    };
    const logs: string[] = [];
    h = await MucHarness.start({ modules: [...mucModules, test], logs });
    await h.createInstant(ROOM, 'alice', A);
    const ok = await h.iq(A, ROOM, 'get', xml('q', { xmlns: NS_TEST }));
    expect(ok.attr('type')).toBe('result');
    expect(ok.getChild('answer', NS_TEST)).toBeDefined();
    expect(
      condition(await h.iq(A, ROOM, 'get', xml('q', { xmlns: NS_TEST, fail: 'stanza' }))),
    ).toBe('not-acceptable');
    expect(condition(await h.iq(A, ROOM, 'get', xml('q', { xmlns: NS_TEST, fail: 'bug' })))).toBe(
      'internal-server-error',
    );
    expect(logs.some((l) => l.includes('muc iq handler failed') && l.includes('a bug'))).toBe(true);
    // Nobody handles 'set' in this namespace; an IQ without payload; a room that does not exist.
    expect(condition(await h.iq(A, ROOM, 'set', xml('q', { xmlns: NS_TEST })))).toBe(
      'service-unavailable',
    );
    h.mark();
    await h.send(xml('iq', { from: A, to: ROOM, type: 'get', id: 'empty' }));
    expect(condition(h.to(A, (el) => el.attr('id') === 'empty')[0])).toBe('bad-request');
    const missing = await h.iq(A, `nowhere@${SERVICE}`, 'get', xml('q', { xmlns: NS_TEST }));
    expect(condition(missing)).toBe('item-not-found');
  });

  it('shares state through typed services and stops the modules on close', async () => {
    const COUNTER = new ServiceKey<{ hits: number }>('test counter');
    const stopped: string[] = [];
    const provider: MucModule = {
      name: 'muc-counter',
      xeps: [],
      register(ctx) {
        ctx.provide(COUNTER, { hits: 0 });
        return () => void stopped.push('muc-counter');
      },
    };
    const user: MucModule = {
      name: 'muc-counted',
      xeps: [],
      requires: ['muc-counter'],
      register(ctx) {
        const counter = ctx.use(COUNTER);
        ctx.serviceIq('get', NS_TEST, () => {
          counter.hits++;
          return xml('hits', { xmlns: NS_TEST }, String(counter.hits));
        });
        return () => void stopped.push('muc-counted');
      },
    };
    // Listed before its provider: the declared dependency orders the start.
    const local = await MucHarness.start({ modules: [user, provider] });
    await local.iq(A, SERVICE, 'get', xml('q', { xmlns: NS_TEST }));
    const second = await local.iq(A, SERVICE, 'get', xml('q', { xmlns: NS_TEST }));
    expect(second.getChildText('hits')).toBe('2');
    await local.close();
    expect(stopped).toEqual(['muc-counted', 'muc-counter']);

    const orphan: MucModule = { ...user, name: 'muc-orphan', requires: [] };
    const err = startError([orphan]);
    expect(err.code).toBe('missing-service');
    expect(err.message).toContain("module 'muc-orphan' uses service 'test counter'");
  });
});
