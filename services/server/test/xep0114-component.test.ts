/**
 * XEP-0114 external components in the all-in-one server: a real component,
 * Debian's python3-slixmpp ComponentXMPP (interop/component_echo.py),
 * connects to the component listener with the handshake; a user
 * (@xmpp/client) chats with `bot@echo.localhost` and gets the echo, queries
 * the component's disco#info and software version; once the component has
 * disconnected, a message to it comes back as service-unavailable; a
 * component with a wrong secret is refused. Skipped when /usr/bin/python3
 * has no slixmpp.
 */
import { xml } from '@xmpp/client';
import { freePort } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestServer } from './harness.js';
import type { TestServer } from './harness.js';
import {
  exited,
  haveSlixmppComponent,
  killComponent,
  last,
  startComponent,
} from './component-helpers.js';
import type { Component } from './component-helpers.js';
import { PYTHON } from './slixmpp-runner.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const DOMAIN = 'echo.localhost';
const SECRET = 'echo-component-secret';
const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const VERSION = 'jabber:iq:version';
if (!haveSlixmppComponent)
  console.warn(`${PYTHON} cannot import slixmpp: skipping the XEP-0114 component test`);

describe.skipIf(!haveSlixmppComponent)(
  'XEP-0114: a slixmpp component in the all-in-one server',
  () => {
    let t: TestServer;
    let componentPort: number;
    let alice: XmppClient;
    const components: Component[] = [];

    const connected = (): boolean => t.server.s2s?.components?.connectedHere(DOMAIN) ?? false;

    beforeAll(async () => {
      componentPort = await freePort();
      t = await startTestServer({
        components: {
          port: componentPort,
          host: '127.0.0.1',
          list: [{ domain: DOMAIN, secret: SECRET }],
        },
      });
      await t.addUser('alice');
      alice = await connect({ port: t.port, username: 'alice', resource: 'desk' });
    }, 30_000);

    afterAll(async () => {
      await alice?.stop().catch(() => undefined);
      for (const c of components) await killComponent(c);
      await t?.stop();
    }, 30_000);

    it('echoes a chat message, answers disco#info and version, then service-unavailable once it left', async () => {
      expect(t.server.s2s?.componentPort).toBe(componentPort);
      const c = startComponent(componentPort, DOMAIN, SECRET);
      components.push(c);
      const why = (): string => `component stderr: ${c.err}`;
      await vi.waitFor(
        () =>
          expect(
            c.lines.some((l) => l['event'] === 'ready'),
            why(),
          ).toBe(true),
        { timeout: 20_000, interval: 50 },
      );
      expect(connected()).toBe(true);

      // A chat message to any address of the component's domain, and its echo.
      const echo = waitFor(alice, (el) => el.is('message') && el.attrs['from'] === `bot@${DOMAIN}`);
      await alice.send(
        xml('message', { to: `bot@${DOMAIN}`, type: 'chat', id: 'e1' }, xml('body', {}, 'hello')),
      );
      const reply = await echo;
      expect(reply.attrs['type']).toBe('chat');
      expect(reply.attrs['to']).toBe('alice@localhost/desk');
      expect(reply.getChildText('body')).toBe('echo: hello');
      expect(c.lines).toContainEqual({
        event: 'message',
        from: 'alice@localhost/desk',
        to: `bot@${DOMAIN}`,
        body: 'hello',
      });

      // IQs to the component's domain are answered by the component.
      const info = await alice.iqCaller.request(
        xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: DISCO_INFO })),
        10_000,
      );
      expect(info.attrs['from']).toBe(DOMAIN);
      expect(
        info
          .getChild('query', DISCO_INFO)
          ?.getChildren('identity')
          .map((i) => [i.attrs['category'], i.attrs['type'], i.attrs['name']]),
      ).toContainEqual(['component', 'generic', 'Echo']);
      const version = await alice.iqCaller.request(
        xml('iq', { type: 'get', to: DOMAIN }, xml('query', { xmlns: VERSION })),
        10_000,
      );
      expect(version.attrs['from']).toBe(DOMAIN);
      expect(version.getChild('query', VERSION)?.getChildText('name')).toBe('Echo');
      expect(version.getChild('query', VERSION)?.getChildText('version')).toBe('1.0');

      // The component leaves (its stdin closes: it sends </stream:stream>).
      c.proc.stdin!.end();
      expect(await exited(c, 20_000), why()).toBe(0);
      expect(last(c)).toMatchObject({
        ready: true,
        refused: false,
        messages: 1,
        disconnected: true,
      });
      await vi.waitFor(() => expect(connected()).toBe(false), { timeout: 5_000, interval: 20 });

      const bounce = waitFor(alice, (el) => el.is('message') && el.attrs['id'] === 'e2');
      await alice.send(
        xml('message', { to: `bot@${DOMAIN}`, type: 'chat', id: 'e2' }, xml('body', {}, 'anyone?')),
      );
      const err = await bounce;
      expect(err.attrs['type']).toBe('error');
      expect(err.attrs['from']).toBe(`bot@${DOMAIN}`);
      expect(err.getChild('error')?.getChild('service-unavailable', STANZAS)).toBeDefined();
    }, 60_000);

    it('refuses a component with a wrong secret', async () => {
      const c = startComponent(componentPort, DOMAIN, 'not-the-secret');
      components.push(c);
      const why = (): string => `component stderr: ${c.err}`;
      expect(await exited(c, 20_000), why()).toBe(1);
      expect(last(c), why()).toMatchObject({
        ready: false,
        refused: true,
        stream_error: 'not-authorized',
        messages: 0,
      });
      expect(c.lines.some((l) => l['event'] === 'ready')).toBe(false);
      expect(connected()).toBe(false);
    }, 30_000);
  },
);
