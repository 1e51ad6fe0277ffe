/**
 * Federation when things go wrong, against Debian's Prosody 0.12: a stanza
 * that cannot reach the other server comes back to its sender as an error
 * stanza from the addressee, never silently lost.
 *
 * - Certificates: Prosody presents a certificate from an unrelated CA while
 *   Parley has s2s.secureAuth; Prosody requires certificates and Parley
 *   presents one for another domain.
 * - Dialback: Prosody's verification reaches another Parley for the same
 *   domain with another dialback secret; Parley refuses Prosody (s2s.deny).
 * - A peer that goes away after a first exchange, and a server that accepts
 *   TCP connections but never answers (remote-server-timeout).
 * - Disco of remote entities: Prosody's server and one of its users.
 *
 * The Parley user is an @xmpp/client (xmppjs.ts turns TLS verification off
 * for it: the c2s certificate is from the test PKI); Prosody's users are
 * slixmpp (interop/federation_scenario.py, interop/federation_bounce.py).
 */
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import { xml } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { freePort, federationDomain, xmppDnsRecords } from '@parley/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canRunFederation,
  runFederationBounce,
  runFederationScenario,
  startFederationBed,
} from './federation-helpers.js';
import type { FederationBed, FederationBedOptions } from './federation-helpers.js';
import { connect, waitFor } from './xmppjs.js';
import type { XmppClient } from './xmppjs.js';

const STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const ROMEO = { user: 'romeo', password: 'r-secret' };
/** s2s.connectTimeoutMs of the beds where a setup may time out. */
const CONNECT_TIMEOUT = 3000;
/** What a bounce may take beyond the connect timeout (bus, c2s, scheduling). */
const MARGIN = 3000;

/** Logs a Parley user of the bed in with @xmpp/client (STARTTLS, SCRAM). */
function login(bed: FederationBed, local: string, password: string): Promise<XmppClient> {
  return connect({
    port: bed.c2sPort,
    domain: bed.parleyDomain,
    username: local,
    password,
    resource: 'xmppjs',
  });
}

/** The defined condition of an error stanza (RFC 6120 8.3.3). */
function conditionOf(el: Element): string | undefined {
  const children = el.getChild('error')?.children ?? [];
  for (const c of children) {
    if (typeof c !== 'string' && c.attrs['xmlns'] === STANZAS && c.name !== 'text') return c.name;
  }
  return undefined;
}

function textOf(el: Element): string {
  return el.getChild('error')?.getChildText('text', STANZAS) ?? '';
}

/** Sends a chat message and resolves with the error that comes back for it. */
async function bounced(
  c: XmppClient,
  to: string,
  id: string,
  timeoutMs: number,
): Promise<{ el: Element; ms: number }> {
  const start = Date.now();
  const back = waitFor(
    c,
    (el) => el.is('message') && el.attrs['id'] === id && el.attrs['type'] === 'error',
    timeoutMs,
  );
  await c.send(xml('message', { to, type: 'chat', id }, xml('body', {}, `message ${id}`)));
  const el = await back;
  return { el, ms: Date.now() - start };
}

/** Runs `fn` with a fresh bed (and the clients it opened), then stops everything. */
async function withBed(
  opts: Omit<FederationBedOptions, 'kind' | 'peerUsers'>,
  fn: (bed: FederationBed, open: (local: string) => Promise<XmppClient>) => Promise<void>,
): Promise<void> {
  const bed = await startFederationBed({ kind: 'prosody', peerUsers: [ROMEO], ...opts });
  const clients: XmppClient[] = [];
  try {
    await fn(bed, async (local) => {
      await bed.addParleyUser(local, `${local}-secret`);
      const c = await login(bed, local, `${local}-secret`);
      clients.push(c);
      return c;
    });
  } finally {
    await Promise.allSettled(clients.map((c) => c.stop()));
    await bed.stop();
  }
}

/**
 * Romeo, on the peer, writes to a new Parley user, juliet: the message must
 * come back to him as an error from juliet. Returns that error.
 */
async function romeoWritesToParley(
  bed: FederationBed,
): Promise<{ condition: string; text: string }> {
  const juliet = await bed.addParleyUser('juliet', 'j-secret');
  const result = await runFederationBounce({
    ca: bed.pki.caFile,
    user: {
      jid: `romeo@${bed.peer.domain}/phone`,
      password: ROMEO.password,
      port: bed.peer.c2sPort,
    },
    to: juliet,
    timeout: 15,
  });
  expect(result, JSON.stringify(result)).toMatchObject({
    ok: true,
    bounce: { from: juliet, type: 'error' },
  });
  return result['bounce'] as { condition: string; text: string };
}

describe.skipIf(!canRunFederation('prosody'))('federation failures with prosody', () => {
  describe('certificates', () => {
    it('a peer certificate Parley cannot trust (secureAuth): the message comes back as remote-server-not-found', async () => {
      await withBed(
        { auth: 'certificates', label: 'ff-untrusted', peerCert: 'untrusted' },
        async (bed, open) => {
          const juliet = await open('juliet');
          const romeo = `romeo@${bed.peer.domain}`;
          const { el } = await bounced(juliet, romeo, 'cert-1', CONNECT_TIMEOUT + MARGIN);
          expect(el.attrs['from']).toBe(romeo);
          expect(el.attrs['to']).toBe(`juliet@${bed.parleyDomain}/xmppjs`);
          expect(el.getChild('error')?.attrs['type']).toBe('cancel');
          expect(conditionOf(el)).toBe('remote-server-not-found');
          expect(textOf(el)).toMatch(/certificate .*refused: certificate not trusted/);
        },
      );
    }, 60_000);

    it('Prosody requires certificates and Parley presents one for another domain: its user gets an error', async () => {
      await withBed(
        {
          auth: 'certificates',
          label: 'ff-wrongdomain',
          parleyCert: 'wrongDomain',
          peerAuth: 'certificates',
        },
        async (bed) => {
          const bounce = await romeoWritesToParley(bed);
          // Prosody 0.12 says remote-server-timeout, with the reason as text.
          expect(bounce.condition).toMatch(/^remote-server-(not-found|timeout)$/);
          expect(bounce.text).toMatch(/certificate is not valid/);
        },
      );
    }, 60_000);
  });

  describe('dialback', () => {
    it("Prosody's verification reaches another Parley with another secret: the message comes back", async () => {
      const impostorPort = await freePort();
      await withBed(
        {
          auth: 'dialback',
          label: 'ff-dialback',
          parley: { s2s: { dialbackSecret: 'the-first-parley-secret' } },
          parleyDnsS2sPort: impostorPort,
        },
        async (bed, open) => {
          // Same domain, the one DNS names: it answers Prosody's <db:verify/> with 'invalid'.
          await bed.startAnotherParley({
            s2s: { port: impostorPort, dialbackSecret: 'the-second-parley-secret' },
          });
          const juliet = await open('juliet');
          const romeo = `romeo@${bed.peer.domain}`;
          const { el } = await bounced(juliet, romeo, 'db-1', CONNECT_TIMEOUT + MARGIN + 10_000);
          expect(el.attrs['from']).toBe(romeo);
          expect(conditionOf(el)).toBe('remote-server-not-found');
          expect(textOf(el)).toMatch(/dialback refused/);
        },
      );
    }, 60_000);

    it("Parley refuses Prosody's domain (s2s.deny): Prosody's user gets an error", async () => {
      const label = 'ff-deny';
      await withBed(
        {
          auth: 'dialback',
          label,
          parley: { s2s: { deny: [federationDomain(`prosody-${label}`)] } },
        },
        async (bed) => {
          const bounce = await romeoWritesToParley(bed);
          expect(bounce.condition).toMatch(/^remote-server-(not-found|timeout)$/);
          // Prosody passes on Parley's stream error text.
          expect(bounce.text).toMatch(/not allowed/);
        },
      );
    }, 60_000);
  });

  describe('a peer that goes away, a server that never answers, disco', () => {
    let bed: FederationBed;
    let juliet: XmppClient;
    let hole: Server;
    const held: Socket[] = [];
    const silent = federationDomain('silent-ff');

    beforeAll(async () => {
      // Accepts connections, reads what comes and never says a word.
      hole = createServer((socket) => {
        held.push(socket);
        socket.on('error', () => {});
        socket.resume();
      });
      await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
      const holePort = (hole.address() as { port: number }).port;
      bed = await startFederationBed({
        kind: 'prosody',
        auth: 'dialback',
        label: 'ff-away',
        peerUsers: [ROMEO],
        parley: { s2s: { connectTimeoutMs: CONNECT_TIMEOUT, retryAfterMs: 200 } },
        extraDnsRecords: xmppDnsRecords(silent, { s2sPort: holePort }),
      });
      const jid = await bed.addParleyUser('juliet', 'j-secret');
      // A first exchange: subscriptions both ways (Prosody shows its users to subscribers
      // only) and a chat each way, slixmpp on both sides.
      const first = await runFederationScenario({
        ca: bed.pki.caFile,
        local: { jid: `${jid}/desk`, password: 'j-secret', port: bed.c2sPort },
        remote: {
          jid: `romeo@${bed.peer.domain}/phone`,
          password: ROMEO.password,
          port: bed.peer.c2sPort,
        },
        steps: ['subscribe', 'chat'],
        timeout: 15,
      });
      expect(first, JSON.stringify(first)).toMatchObject({ ok: true });
      juliet = await login(bed, 'juliet', 'j-secret');
    }, 60_000);

    afterAll(async () => {
      await juliet?.stop().catch(() => undefined);
      await bed?.stop();
      for (const s of held) s.destroy();
      await new Promise<void>((resolve) => (hole ? hole.close(() => resolve()) : resolve()));
    }, 30_000);

    const identities = async (to: string): Promise<{ category?: string; type?: string }[]> => {
      const res = await juliet.iqCaller.request(
        xml('iq', { type: 'get', to }, xml('query', { xmlns: DISCO_INFO })),
        10_000,
      );
      expect(res.attrs['from']).toBe(to);
      return (res.getChild('query', DISCO_INFO)?.getChildren('identity') ?? []).map((i) => ({
        category: i.attrs['category'] as string | undefined,
        type: i.attrs['type'] as string | undefined,
      }));
    };

    it("disco#info of Prosody's server domain and of a Prosody user's bare JID", async () => {
      expect(await identities(bed.peer.domain)).toContainEqual({ category: 'server', type: 'im' });
      expect(await identities(`romeo@${bed.peer.domain}`)).toContainEqual(
        expect.objectContaining({ category: 'account' }),
      );
    }, 30_000);

    it('a server that accepts TCP but never answers: remote-server-timeout', async () => {
      const to = `nobody@${silent}`;
      const { el, ms } = await bounced(juliet, to, 'hole-1', CONNECT_TIMEOUT + MARGIN);
      expect(el.attrs['from']).toBe(to);
      expect(conditionOf(el)).toBe('remote-server-timeout');
      expect(held.length).toBeGreaterThan(0);
      // It waited for the setup to time out rather than giving up early.
      expect(ms).toBeGreaterThanOrEqual(CONNECT_TIMEOUT - 100);
    }, 30_000);

    it('Prosody stopped after the exchange: three messages come back as errors, none lost', async () => {
      await bed.peer.stop();
      const romeo = `romeo@${bed.peer.domain}`;
      const results = await Promise.all(
        ['away-1', 'away-2', 'away-3'].map((id) =>
          bounced(juliet, romeo, id, CONNECT_TIMEOUT + MARGIN),
        ),
      );
      for (const { el, ms } of results) {
        expect(el.attrs['from']).toBe(romeo);
        expect(conditionOf(el)).toMatch(/^remote-server-(not-found|timeout)$/);
        expect(ms).toBeLessThan(CONNECT_TIMEOUT + MARGIN);
      }
      // An IQ is answered with an error too, not left to time out.
      const iq = juliet.iqCaller.request(
        xml('iq', { type: 'get', to: bed.peer.domain }, xml('query', { xmlns: DISCO_INFO })),
        CONNECT_TIMEOUT + MARGIN,
      );
      await expect(iq).rejects.toMatchObject({
        condition: expect.stringMatching(/^remote-server-(not-found|timeout)$/),
      });
    }, 30_000);
  });
});
