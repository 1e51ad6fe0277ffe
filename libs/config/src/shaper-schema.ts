/**
 * Schema of the keys in shaper-types.ts: the `shaper` section, the byte
 * bounds of the c2s output buffer and of the XEP-0198 and XEP-0352 queues
 * (hooked into the c2s, sm and csi sections), and their checks.
 */
import { ConfigError } from './errors.js';
import { bool, int, list, show, str } from './schema.js';
import type { Field } from './schema.js';
import type { ShaperConfig, ShaperLimits } from './shaper-types.js';
import type { Config, SchemaFor } from './types.js';

const MIB = 1_048_576;

function limitsSchema(
  stage: 'unauthenticated' | 'authenticated',
  d: ShaperLimits,
): SchemaFor<ShaperLimits> {
  const streams =
    stage === 'unauthenticated'
      ? 'a stream before SASL success (STARTTLS, SASL, in-band registration)'
      : 'an authenticated stream';
  return {
    bytesPerSecond: int({
      min: 0,
      max: 1_073_741_824,
      default: d.bytesPerSecond,
      doc: `Bytes per second ${streams} may send, sustained (a token bucket of shaper.${stage}.burstBytes). Past it the gateway stops reading the socket until the bucket has refilled: nothing is dropped, TCP makes the client wait. 0 = no byte limit.`,
    }),
    burstBytes: int({
      min: 1,
      max: 1_073_741_824,
      default: d.burstBytes,
      doc: `Bytes ${streams} may send at once before shaper.${stage}.bytesPerSecond applies (the size of its bucket, full when the stream opens${stage === 'authenticated' ? ' and refilled at SASL success' : ''}).`,
    }),
    stanzasPerSecond: int({
      min: 0,
      max: 1_000_000,
      default: d.stanzasPerSecond,
      doc: `Stanzas (message, presence, iq) per second ${streams} may send, sustained; further stanzas wait, in order, and the socket is not read meanwhile. Other elements (XEP-0198 acks) count only as bytes. 0 = no stanza limit.`,
    }),
    burstStanzas: int({
      min: 1,
      max: 1_000_000,
      default: d.burstStanzas,
      doc: `Stanzas ${streams} may send at once before shaper.${stage}.stanzasPerSecond applies.`,
    }),
  };
}

export const shaperSchema: SchemaFor<ShaperConfig> = {
  enabled: bool({
    default: true,
    doc: 'Shape what each client stream sends (like ejabberd shapers and Prosody mod_limits): two token buckets per stream, bytes/s and stanzas/s, with separate limits before and after authentication. A stream over its limits is paused (its socket is not read, a BOSH request waits), never cut off and nothing is dropped; one session cannot monopolize the event loop of a gateway. docs/security.md, "Traffic shaping and queue bounds".',
  }),
  unauthenticated: limitsSchema('unauthenticated', {
    bytesPerSecond: 8_192,
    burstBytes: 32_768,
    stanzasPerSecond: 10,
    burstStanzas: 30,
  }),
  authenticated: limitsSchema('authenticated', {
    bytesPerSecond: 65_536,
    burstBytes: MIB,
    stanzasPerSecond: 50,
    burstStanzas: 300,
  }),
  exemptJids: list(str({ default: '', doc: 'bare JID' }), {
    default: [],
    doc: 'Accounts (bare JIDs, e.g. bot@example.org) whose authenticated streams are not shaped: bots and bridges that legitimately send more. Their unauthenticated phase is shaped like any other.',
  }),
};

/** `c2s.maxPendingOutputBytes`. */
export const maxPendingOutputBytes: Field<number> = int({
  min: 65_536,
  max: 1_073_741_824,
  default: 8 * MIB,
  doc: 'Bytes written to a client and not yet taken by its connection (TCP socket buffer, WebSocket bufferedAmount, BOSH output waiting for a request) beyond which the client is taken as not reading: the stream is closed with resource-constraint (a resumable XEP-0198 session stays resumable) instead of buffering more. Must be at least sm.maxQueueBytes + c2s.maxStanzaBytes, so that a resumed session can be retransmitted its whole queue.',
});

/** `sm.maxQueueBytes`. */
export const smMaxQueueBytes: Field<number> = int({
  min: 65_536,
  max: 1_073_741_824,
  default: 4 * MIB,
  doc: 'Size of the unacknowledged stanzas kept per XEP-0198 session (in memory, and in the resumption store for a resumable session), counted as the length of their serialized XML (characters: bytes for ASCII). Past it the session ends with resource-constraint, as past sm.maxQueue; must be at least c2s.maxStanzaBytes.',
});

/** `csi.maxQueuedBytes`. */
export const csiMaxQueuedBytes: Field<number> = int({
  min: 4_096,
  max: 1_073_741_824,
  default: 262_144,
  doc: 'Size of the stanzas held for an inactive client (XEP-0352), counted as the length of their serialized XML; reaching it flushes them, as reaching csi.maxQueued does.',
});

function invalid(key: string, message: string): ConfigError {
  return new ConfigError('invalid-value', `${key}: ${message}`, { key });
}

const BARE_JID = /^[^@/\s]+@[^@/\s]+$/;

/** The shaper section and the queue bounds: what involves more than one key. */
export function checkShaper(config: Config): void {
  for (const jid of config.shaper.exemptJids) {
    if (!BARE_JID.test(jid)) {
      throw invalid(
        'shaper.exemptJids',
        `expected bare JIDs such as bot@example.org, got ${show(jid)}`,
      );
    }
  }
  const { maxStanzaBytes } = config.c2s;
  if (config.sm.maxQueueBytes < maxStanzaBytes) {
    throw invalid(
      'sm.maxQueueBytes',
      `must be at least c2s.maxStanzaBytes (${maxStanzaBytes}), got ${config.sm.maxQueueBytes}`,
    );
  }
  const least = config.sm.maxQueueBytes + maxStanzaBytes;
  if (config.c2s.maxPendingOutputBytes < least) {
    throw invalid(
      'c2s.maxPendingOutputBytes',
      `must be at least sm.maxQueueBytes + c2s.maxStanzaBytes (${least}), got ${config.c2s.maxPendingOutputBytes}`,
    );
  }
}
