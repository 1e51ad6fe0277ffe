import { bool, durationMs } from './schema.js';
import type { FastConfig, Sasl2Config } from './sasl2-types.js';
import type { SchemaFor } from './types.js';

const DAY = 86_400_000;

export const sasl2Schema: SchemaFor<Sasl2Config> = {
  enabled: bool({
    default: true,
    doc: 'Offer XEP-0388 SASL2 next to RFC 6120 SASL, with XEP-0386 Bind2 (resource binding, stream management and carbons inline) and inline XEP-0198 resumption; the same mechanisms, checks and login throttle as SASL. docs/authentication.md.',
  }),
};

export const fastSchema: SchemaFor<FastConfig> = {
  enabled: bool({
    default: true,
    doc: 'Offer XEP-0484 FAST tokens inside SASL2 (HT-SHA-256-NONE and the channel-binding variants the connection supports): a client that logged in with its password may ask for a token and reconnect with it in one round trip, without PBKDF2. Tokens are kept in the durable store, derived from sasl.fakeSaltSecret(File), so every gateway of a cluster accepts them. Needs c2s.sasl2.enabled.',
  }),
  tokenLifetimeMs: durationMs({
    min: 60_000,
    max: 365 * DAY,
    default: 14 * DAY,
    doc: 'Lifetime of a FAST token from when it is issued; an expired token is refused (the client logs in with its password again).',
  }),
  rotateBeforeMs: durationMs({
    min: 0,
    max: 365 * DAY,
    default: 7 * DAY,
    doc: 'A FAST token used with less lifetime left than this is rotated: the success carries a new token, and the used one stays valid until the new one is used (XEP-0484 section 4.5). Must be less than c2s.fast.tokenLifetimeMs; 0 = never rotate.',
  }),
};
