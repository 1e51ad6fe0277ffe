/**
 * Federation with Debian's Prosody 0.12 and ejabberd 23.01, both directions, driven by slixmpp on both
 * sides: a subscription handshake ending in 'both', presence (broadcasts of
 * changes, probes from a new session), chat, XEP-0092
 * version queries to users and servers, and the peer's user in a room of
 * Parley's MUC service. Once authenticated by Server Dialback (XEP-0220),
 * once by certificates (SASL EXTERNAL).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  canRunFederation,
  runFederationScenario,
  startFederationBed,
} from './federation-helpers.js';
import type { FederationBed } from './federation-helpers.js';

const PEERS = [
  ['prosody', 'pr'],
  ['ejabberd', 'ej'],
] as const;

for (const [kind, short] of PEERS)
  for (const auth of ['dialback', 'certificates'] as const) {
    describe.skipIf(!canRunFederation(kind))(`federation with ${kind} (${auth})`, () => {
      let bed: FederationBed;
      beforeAll(async () => {
        bed = await startFederationBed({
          kind,
          auth,
          label: `${short}-${auth}`,
          peerUsers: [{ user: 'romeo', password: 'r-secret' }],
        });
      }, 90_000);
      afterAll(() => bed?.stop(), 30_000);

      it('subscription, presence broadcasts and probes, chat, version and a room, both ways', async () => {
        const juliet = await bed.addParleyUser('juliet', 'j-secret');
        const room = `balcony@conference.${bed.parleyDomain}`;
        const result = await runFederationScenario({
          ca: bed.pki.caFile,
          local: { jid: `${juliet}/desk`, password: 'j-secret', port: bed.c2sPort },
          remote: {
            jid: `romeo@${bed.peer.domain}/phone`,
            password: 'r-secret',
            port: bed.peer.c2sPort,
          },
          room,
          timeout: 20,
        });
        expect(result, JSON.stringify(result)).toMatchObject({
          ok: true,
          subscribe: { local: 'both', remote: 'both' },
          broadcast: { remote_saw: 'away', local_saw: 'dnd' },
          probe: { learnt: `${juliet}/desk` },
          chat: { received_from: `${juliet}/desk`, reply_from: `romeo@${bed.peer.domain}/phone` },
          version: { local_server: 'Parley' },
          muc: {
            remote_role: 'participant',
            remote_got_from: `${room}/Local`,
            local_got_from: `${room}/Remote`,
          },
        });
        // The streams both ways were authenticated as configured.
        const method = auth === 'certificates' ? 'sasl' : 'dialback';
        for (const direction of ['in', 'out'])
          expect(
            await bed.parley.metrics.value('s2s_streams_open', {
              remote: bed.peer.domain,
              direction,
              auth: method,
            }),
            `${direction} stream authenticated by ${method}`,
          ).toBeGreaterThan(0);
      }, 120_000);
    });
  }
