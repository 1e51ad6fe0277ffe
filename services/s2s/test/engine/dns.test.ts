import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort } from '@parley/testkit';
import {
  ServerNotFoundError,
  parseOverrides,
  parseResolvers,
  resolveServer,
} from '../../src/engine/index.js';
import { orderSrv } from '../../src/engine/dns.js';
import { A, B, bodies, message, startNode, stopNodes } from './harness.js';
import { makePki, serverSan } from './pki.js';
import type { TestFedPki } from './pki.js';

const DNSMASQ = '/usr/sbin/dnsmasq';
let dnsmasq: ChildProcess | undefined;
let dnsPort = 0;
let bPort = 0;
let pki: TestFedPki;

beforeAll(async () => {
  pki = await makePki([
    { name: 'a', san: serverSan(A) },
    { name: 'b', san: serverSan(B) },
  ]);
  dnsPort = await freePort();
  bPort = await freePort();
  dnsmasq = spawn(
    DNSMASQ,
    [
      '--keep-in-foreground', '--conf-file=/dev/null', '--no-resolv', '--no-hosts',
      '--listen-address=127.0.0.1', '--bind-interfaces', `--port=${dnsPort}`, '--pid-file=',
      // s.test: both services, ordered by priority, direct TLS first on a tie
      '--srv-host=_xmpps-server._tcp.s.test,tls.s.test,5270,10,0',
      '--srv-host=_xmpp-server._tcp.s.test,plain.s.test,5269,10,0',
      '--srv-host=_xmpp-server._tcp.s.test,first.s.test,5269,5,0',
      // none.test: "." target, the service is decidedly absent
      '--srv-host=_xmpp-server._tcp.none.test',
      // b.parley-fed.net: the engine test's route
      `--srv-host=_xmpp-server._tcp.${B},b-host.parley-fed.net,${bPort},0,0`,
      '--host-record=b-host.parley-fed.net,127.0.0.1',
    ], // prettier-ignore
    { stdio: 'ignore' },
  );
  const resolver = new Resolver({ timeout: 200, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  await vi.waitFor(() => resolver.resolve4('b-host.parley-fed.net'), {
    timeout: 10_000,
    interval: 100,
  });
}, 30_000);

afterAll(async () => {
  await stopNodes();
  if (dnsmasq?.pid !== undefined) process.kill(dnsmasq.pid, 'SIGTERM');
  await pki?.remove();
});

const opts = () => ({ resolvers: [`127.0.0.1:${dnsPort}`], overrides: [], timeoutMs: 1_000 });

describe('resolveServer', () => {
  it('orders SRV records by priority, direct TLS first at equal priority', async () => {
    expect(await resolveServer('s.test', opts())).toEqual([
      { host: 'first.s.test', port: 5269, directTls: false },
      { host: 'tls.s.test', port: 5270, directTls: true },
      { host: 'plain.s.test', port: 5269, directTls: false },
    ]);
  });

  it('a "." target means no service', async () => {
    await expect(resolveServer('none.test', opts())).rejects.toBeInstanceOf(ServerNotFoundError);
  });

  it('without SRV records, the domain itself on 5269', async () => {
    expect(await resolveServer('plain.test', opts())).toEqual([
      { host: 'plain.test', port: 5269, directTls: false },
    ]);
  });

  it('an override wins over DNS', async () => {
    const o = { ...opts(), overrides: ['s.test=tls://127.0.0.1:7777'] };
    expect(await resolveServer('s.test', o)).toEqual([
      { host: '127.0.0.1', port: 7777, directTls: true },
    ]);
  });

  it('the engine finds a server through SRV and address records', async () => {
    const b = await startNode({ domain: B, pem: pki.certs['b']!, trustStore: pki.ca, port: bPort });
    const a = await startNode({
      domain: A,
      pem: pki.certs['a']!,
      trustStore: pki.ca,
      config: { resolvers: [`127.0.0.1:${dnsPort}`] },
    });
    await a.engine.send(A, B, message(`alice@${A}`, `bob@${B}`, 'via dns'));
    await vi.waitFor(() => expect(bodies(b)).toEqual(['via dns']));
  });
});

describe('configuration checks', () => {
  it('rejects bad overrides and resolvers, naming the key', () => {
    expect(() => parseOverrides(['b.example'])).toThrow(/s2s\.overrides/);
    expect(() => parseOverrides(['b.example=host'])).toThrow(/s2s\.overrides/);
    expect(() => parseOverrides(['b.example=http://h:1'])).toThrow(/s2s\.overrides/);
    expect(() => parseOverrides(['b.example=h:70000'])).toThrow(/s2s\.overrides/);
    expect(parseOverrides(['B.example=[::1]:5269']).get('b.example')).toEqual({
      host: '::1',
      port: 5269,
      directTls: false,
    });
    expect(() => parseResolvers(['dns.example'])).toThrow(/s2s\.resolvers/);
    expect(() => parseResolvers(['127.0.0.1:x'])).toThrow(/s2s\.resolvers/);
    expect(parseResolvers(['127.0.0.1', '127.0.0.1:53', '::1', '[::1]:53'])).toEqual([
      '127.0.0.1',
      '127.0.0.1:53',
      '::1',
      '[::1]:53',
    ]);
  });

  it('weights decide the order within a priority', () => {
    const recs = [
      { host: 'heavy', port: 1, directTls: false, priority: 1, weight: 90 },
      { host: 'light', port: 1, directTls: false, priority: 1, weight: 10 },
    ];
    expect(orderSrv(recs, () => 0.5)[0]!.host).toBe('heavy');
    expect(orderSrv(recs, () => 0.05)[0]!.host).toBe('light');
  });
});
