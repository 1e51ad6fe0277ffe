/**
 * The session registry starts its modules through the module contract
 * (@parley/modules): modules switched off by configuration are gone from
 * the stanza path and from disco, and a broken module set stops the start
 * with an error that names the modules.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryBus } from '@parley/bus';
import { defaultConfig } from '@parley/config';
import { ModuleError } from '@parley/modules';
import { openMemoryStores } from '@parley/store';
import { createLogger, createMetrics } from '@parley/telemetry';
import { builtinModules, startSessionRegistry } from '../src/index.js';
import type { ServerModule } from '../src/index.js';
import { Harness, errorCondition, jidOf } from './harness.js';

const NS_VCARD = 'vcard-temp';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

function startWith(modules: readonly ServerModule[], disabled: string[] = []) {
  const config = defaultConfig();
  config.modules.disabled = disabled;
  return startSessionRegistry({
    config,
    bus: new MemoryBus(),
    stores: openMemoryStores(),
    logger: createLogger({ service: 'test', level: 'error' }),
    metrics: createMetrics(),
    modules,
  });
}

function startError(modules: readonly ServerModule[], disabled: string[] = []): ModuleError {
  try {
    void startWith(modules, disabled).close();
  } catch (err) {
    if (err instanceof ModuleError) return err;
    throw err;
  }
  throw new Error('the registry started');
}

describe('module contract of the session registry', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('starts every built-in module, each after the modules it requires', async () => {
    const r = startWith(builtinModules);
    const order = r.modules.map((m) => m.name);
    for (const m of r.modules)
      for (const dep of m.requires ?? [])
        expect(order.indexOf(dep)).toBeLessThan(order.indexOf(m.name));
    const config = defaultConfig();
    const enabled = builtinModules.filter((m) => m.enabled?.(config) ?? true);
    expect([...order].sort()).toEqual(enabled.map((m) => m.name).sort());
    await r.close();
  });

  it('a module disabled in the config answers nothing and is not advertised', async () => {
    h = await Harness.start({
      accounts: ['alice'],
      config: (c) => (c.modules.disabled = ['vcard']),
    });
    const alice = await h.online(jidOf('alice'), 'phone');
    alice.send(`<iq type='get' to='${jidOf('alice')}'><vCard xmlns='${NS_VCARD}'/></iq>`);
    alice.send(
      `<iq type='get' to='${h.config.server.domains[0]}'><query xmlns='${NS_DISCO_INFO}'/></iq>`,
    );
    const [vcard, disco] = (await alice.drain()).filter((el) => el.name === 'iq');
    expect(errorCondition(vcard!)).toBe('service-unavailable');
    const features = disco!
      .getChild('query')!
      .getChildren('feature')
      .map((f) => f.attr('var'));
    expect(features).toContain(NS_DISCO_INFO);
    expect(features).not.toContain(NS_VCARD);
  });

  it('refuses to disable a module another enabled module requires', () => {
    const err = startError(builtinModules, ['pep']);
    expect(err.code).toBe('missing-dependency');
    expect(err.message).toMatch(
      /module '(avatar|bookmarks)' requires module 'pep', which is disabled/,
    );
  });

  it('refuses an unknown module name in modules.disabled', () => {
    expect(startError(builtinModules, ['vcards']).message).toContain(
      "cannot disable module 'vcards': no such module",
    );
  });

  it('leaves the muc- names in modules.disabled to the MUC service, which checks them', async () => {
    const r = startWith(builtinModules, ['muc-vcard', 'muc-no-such-module']);
    expect(r.modules.map((m) => m.name)).toContain('vcard');
    await r.close();
  });

  it('refuses a second handler for the same IQ, naming both modules', () => {
    const rival: ServerModule = {
      name: 'rival-ping',
      xeps: [],
      register: (ctx) => ctx.serverIq('get', 'urn:xmpp:ping', async () => undefined),
    };
    const err = startError([...builtinModules, rival]);
    expect(err.code).toBe('duplicate-handler');
    expect(err.message).toBe(
      "module 'rival-ping' registers a server IQ handler for 'get urn:xmpp:ping', already handled by module 'ping'",
    );
  });

  it('refuses a second owner of a service domain', () => {
    const claim = (name: string): ServerModule => ({
      name,
      xeps: [],
      register: (ctx) => ctx.serviceDomain('bots.localhost', () => undefined),
    });
    expect(startError([claim('one'), claim('two')]).message).toBe(
      "module 'two' claims service domain 'bots.localhost', already owned by module 'one'",
    );
  });
});
