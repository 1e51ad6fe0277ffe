/**
 * Login and registration limits on a real gateway (limits/login-guard.ts;
 * docs/security.md, "Login and registration throttling"). Each client
 * comes through a trusted PROXY header with the address the test picks, so
 * one test has attackers and bystanders on separate addresses. The store is
 * the in-memory one on a clock the test moves (refusal expiry), the delays
 * are real and short.
 */
import { MemoryLoginLimits, loginLimitsOptions } from '@parley/cluster';
import { NS_REGISTER, NS_SASL } from '@parley/stanza';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { v1Header } from './helpers/proxy-headers.js';
import { startHarness } from './helpers/harness.js';
import type { Harness } from './helpers/harness.js';
import { sasl2Fast, sasl2Scram } from './helpers/sasl2-client.js';
import { errorCondition } from './helpers/test-client.js';
import type { TestClient } from './helpers/test-client.js';

const DELAY_MS = 100;

/** A harness whose clients come through PROXY headers, with its limits store and clock. */
async function limitedHarness(opts: Parameters<typeof startHarness>[0] = {}) {
  const clock = { now: Date.now() };
  let limits: MemoryLoginLimits | undefined;
  const h = await startHarness({
    ...opts,
    configure: (c) => {
      c.c2s.proxyProtocol = true;
      c.c2s.proxyTrustedAddresses = ['127.0.0.1'];
      c.c2s.authFailureDelayMs = DELAY_MS;
      c.c2s.authFailureMaxDelayMs = DELAY_MS;
      c.c2s.loginLimits.refuseAfterFailures = 4;
      c.c2s.loginLimits.refuseForMs = 60_000;
      c.c2s.loginLimits.accountGuardAfterFailures = 3;
      opts.configure?.(c);
      limits = new MemoryLoginLimits({ ...loginLimitsOptions(c), now: () => clock.now });
    },
    gatewayDeps: {
      ...opts.gatewayDeps,
      loginLimits: {
        // The harness reads the config after `configure`: the store is made there.
        address: (a) => limits!.address(a),
        accountFailures: (a) => limits!.accountFailures(a),
        recordFailure: (a, acct) => limits!.recordFailure(a, acct),
        refusals: () => limits!.refusals(),
        lift: (a) => limits!.lift(a),
        takeRegistration: (a) => limits!.takeRegistration(a),
        returnRegistration: (a) => limits!.returnRegistration(a),
      },
    },
  });
  let port = 40_000;
  /** A client from `ip`, connected (nothing sent yet). */
  const from = (ip: string) =>
    h.connect({
      proxyHeader: v1Header({ ip, port: port++ }, { ip: '192.0.2.1', port: h.port }),
    });
  /** A client from `ip` with TLS, ready to authenticate. */
  const ready = async (ip: string): Promise<TestClient> => {
    const c = await from(ip);
    await c.open();
    await c.starttls();
    await c.open();
    return c;
  };
  return { h, clock, limits: () => limits!, from, ready };
}

async function counter(h: Harness, name: string, labels: Record<string, string> = {}) {
  return h.metrics.value(name, labels);
}

/** The text of the stream error a client received. */
function streamErrorText(c: TestClient): string {
  return /<text[^>]*>([^<]*)<\/text>/.exec(c.raw)?.[1] ?? '';
}

let next = 1;
const address = () => `198.51.100.${next++}`;

describe('login limits', () => {
  let t: Awaited<ReturnType<typeof limitedHarness>>;
  beforeAll(async () => {
    t = await limitedHarness();
    await t.h.createAccount('alice', 'wonderland');
    await t.h.createAccount('bob', 'builder');
  });
  afterAll(() => t.h.close());

  it('counts failures per address across connections; a successful login in between resets nothing', async () => {
    const ip = address();
    const a = await t.ready(ip);
    expect((await a.scram('alice', 'guess-1')).localName).toBe('failure');
    expect((await t.limits().address(ip)).failures).toBe(1);
    // The attacker's own account logs in from the same address ...
    const b = await t.ready(ip);
    expect((await b.scram('bob', 'builder')).is('success', NS_SASL)).toBe(true);
    // ... and the count stands; the next guess adds to it.
    expect((await t.limits().address(ip)).failures).toBe(1);
    expect((await a.scram('alice', 'guess-2')).localName).toBe('failure');
    expect((await t.limits().address(ip)).failures).toBe(2);
    a.close();
    b.close();
  });

  it('makes every attempt from the address wait for the delay, on any connection', async () => {
    const ip = address();
    const a = await t.ready(ip);
    const parallel = await t.ready(ip);
    const bystander = await t.ready(address());
    // The clock stands still: the gate stays DELAY_MS ahead of it after the failure.
    t.clock.now = Date.now();
    expect((await a.scram('alice', 'guess')).localName).toBe('failure');
    const delayedBefore = await counter(t.h, 'c2s_login_throttled_total', { reason: 'delayed' });
    const started = Date.now();
    // A correct password on another connection of the address waits too (and then succeeds).
    expect((await parallel.scram('bob', 'builder')).is('success', NS_SASL)).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(DELAY_MS - 5);
    expect(await counter(t.h, 'c2s_login_throttled_total', { reason: 'delayed' })).toBe(
      delayedBefore + 1,
    );
    // Another address does not wait.
    expect((await bystander.scram('bob', 'builder')).is('success', NS_SASL)).toBe(true);
    expect(await counter(t.h, 'c2s_login_throttled_total', { reason: 'delayed' })).toBe(
      delayedBefore + 1,
    );
    for (const c of [a, parallel, bystander]) c.close();
  });

  it('counts SASL2 password failures and FAST token failures the same way', async () => {
    const ip = address();
    const c = await t.ready(ip);
    const before = await t.limits().accountFailures('bob@localhost');
    expect((await sasl2Scram(c, 'bob', 'wrong', { agent: 'a1' })).result.localName).toBe('failure');
    expect((await sasl2Fast(c, 'bob', 'not-a-token', { agent: 'a1' })).result.localName).toBe(
      'failure',
    );
    expect((await t.limits().address(ip)).failures).toBe(2);
    expect(await t.limits().accountFailures('bob@localhost')).toBe(before + 2);
    c.close();
  });

  it('does not count a failure of the server (temporary-auth-failure) against the client', async () => {
    const ip = address();
    const c = await t.ready(ip);
    vi.spyOn(t.h.stores.accounts, 'get').mockRejectedValueOnce(new Error('store down'));
    const outcome = await c.scram('bob', 'builder');
    expect(outcome.getChildElements()[0]?.localName).toBe('temporary-auth-failure');
    expect((await t.limits().address(ip)).failures).toBe(0);
    expect((await c.scram('bob', 'builder')).is('success', NS_SASL)).toBe(true);
    c.close();
  });

  it('refuses an address after repeated failures, at once and on every new connection, until it expires', async () => {
    const ip = address();
    const c = await t.ready(ip);
    for (let i = 1; i < 4; i++)
      expect((await c.scram('alice', `guess-${i}`)).localName).toBe('failure');
    const other = await t.ready(ip);
    // The fourth failure refuses the address: answered, then the stream ends.
    expect((await c.scram('alice', 'guess-4')).localName).toBe('failure');
    expect(await c.streamError()).toBe('policy-violation');
    expect(streamErrorText(c)).toMatch(
      /^too many failed logins from your address \(198\.51\.100\.\d+\); it is refused until \d{4}-\d\d-\d\dT/,
    );
    expect(await counter(t.h, 'c2s_address_refusals_total')).toBe(1);
    // A new connection is closed before it can do anything.
    const late = await t.from(ip);
    expect(await late.streamError()).toBe('policy-violation');
    expect(await counter(t.h, 'c2s_refused_total', { stage: 'connect' })).toBeGreaterThanOrEqual(1);
    // A connection opened before the refusal is turned away at its next attempt, even with the
    // right password (the scram helper sees the stream error instead of a challenge).
    const outcome = await other.scram('alice', 'wonderland').catch(() => undefined);
    expect(outcome?.localName).not.toBe('success');
    await other.closed();
    expect(other.raw).toContain('<policy-violation');
    // Two turned away at a login: the connection whose failure refused the address, and this one.
    expect(await counter(t.h, 'c2s_refused_total', { stage: 'login' })).toBe(2);
    // Everyone else logs in.
    const fine = await t.ready(address());
    expect((await fine.scram('alice', 'wonderland')).is('success', NS_SASL)).toBe(true);
    fine.close();
    // Listed, then over once refuseForMs has passed.
    expect((await t.limits().refusals()).map((r) => r.address)).toContain(ip);
    t.clock.now = Date.now() + 60_001;
    const back = await t.ready(ip);
    // (alice is guarded from this address while its failures last: bob logs in.)
    expect((await back.scram('bob', 'builder')).is('success', NS_SASL)).toBe(true);
    back.close();
    t.clock.now = Date.now();
  });

  it('guards an account under attack from addresses with failures, never from a clean one', async () => {
    await t.h.createAccount('carol', 'secret');
    const attackers = [address(), address(), address()];
    for (const ip of attackers) {
      const c = await t.ready(ip);
      expect((await c.scram('carol', 'guess')).localName).toBe('failure');
      c.close();
    }
    // Three failures against carol: an attacker address is not checked any more, even with
    // the right password (it cannot tell).
    const guardedBefore = await counter(t.h, 'c2s_login_throttled_total', {
      reason: 'account-guarded',
    });
    const attacker = await t.ready(attackers[0]!);
    expect((await attacker.scram('carol', 'secret')).localName).toBe('failure');
    expect(await counter(t.h, 'c2s_login_throttled_total', { reason: 'account-guarded' })).toBe(
      guardedBefore + 1,
    );
    attacker.close();
    // The owner, from an address without failures, logs in with the correct password.
    const owner = await t.ready(address());
    expect((await owner.scram('carol', 'secret')).is('success', NS_SASL)).toBe(true);
    owner.close();
    // A new attacker address gets its password checked once (a wrong one fails as usual).
    const fresh = await t.ready(address());
    expect((await fresh.scram('carol', 'guess')).localName).toBe('failure');
    fresh.close();
  });
});

describe('in-band registration limits', () => {
  let t: Awaited<ReturnType<typeof limitedHarness>>;
  beforeAll(async () => {
    t = await limitedHarness({
      configure: (c) => {
        c.registration.enabled = true;
        c.registration.maxPerAddress = 1;
        c.registration.maxGlobal = 4;
      },
    });
  });
  afterAll(() => t.h.close());

  async function register(ip: string, username: string) {
    const c = await t.ready(ip);
    const id = `reg-${username}`;
    c.send(
      `<iq type='set' id='${id}'><query xmlns='${NS_REGISTER}'><username>${username}</username><password>pw</password></query></iq>`,
    );
    const reply = await c.nextMatching((e) => e.attr('id') === id, 'the registration reply');
    c.close();
    return reply;
  }

  it('limits registrations per address, refuses reserved names, and overall', async () => {
    const x = address();
    expect((await register(x, 'first')).attr('type')).toBe('result');
    const again = await register(x, 'second');
    expect(errorCondition(again)).toBe('policy-violation');
    expect(again.getChild('error')?.attr('type')).toBe('wait');
    expect(again.toString()).toContain('too many registrations from your address');

    const y = address();
    for (const name of ['admin', 'PostMaster', 'support', 'admin-api']) {
      const reply = await register(y, name);
      expect(errorCondition(reply)).toBe('not-acceptable');
      expect(reply.toString()).toContain('is reserved');
    }
    expect(await counter(t.h, 'c2s_registrations_refused_total', { reason: 'reserved-name' })).toBe(
      4,
    );
    // Reserved names cost no registration: y still has its own.
    // A taken name is a failure of the address and gives the registration back.
    expect(errorCondition(await register(y, 'first'))).toBe('conflict');
    expect((await t.limits().address(y)).failures).toBe(1);
    expect((await register(y, 'third')).attr('type')).toBe('result');

    expect((await register(address(), 'fourth')).attr('type')).toBe('result');
    expect((await register(address(), 'fifth')).attr('type')).toBe('result');
    const overall = await register(address(), 'sixth');
    expect(errorCondition(overall)).toBe('policy-violation');
    expect(overall.toString()).toContain('too many registrations;');
    expect(await counter(t.h, 'c2s_registrations_refused_total', { reason: 'global-limit' })).toBe(
      1,
    );
    expect(await t.h.stores.accounts.get('sixth@localhost')).toBeUndefined();
  });

  it('closes a registration from an address refused meanwhile', async () => {
    const ip = address();
    const c = await t.ready(ip);
    for (let i = 0; i < 4; i++) await t.limits().recordFailure(ip);
    c.send(
      `<iq type='set' id='late'><query xmlns='${NS_REGISTER}'><username>late</username><password>pw</password></query></iq>`,
    );
    expect(await c.streamError()).toBe('policy-violation');
    expect(await counter(t.h, 'c2s_refused_total', { stage: 'registration' })).toBe(1);
    expect(await t.h.stores.accounts.get('late@localhost')).toBeUndefined();
  });
});
