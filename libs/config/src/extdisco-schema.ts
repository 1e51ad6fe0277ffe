/** Schema of the `extdisco` section (XEP-0215 external services). */
import type { ExtdiscoConfig } from './extdisco-types.js';
import { FieldValueError, durationMs, list, optionalStr, show, str } from './schema.js';
import type { Field } from './schema.js';
import { fileKey } from './security-schema.js';
import type { SchemaFor } from './types.js';

/** stun:, stuns:, turn:, turns: with a host, an optional port and an optional ?transport=udp|tcp. */
const SERVICE_URI =
  /^(stuns?|turns?):(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?(\?transport=(udp|tcp))?$/i;

function serviceUri(): Field<string> {
  const base = str({ default: '', doc: 'service URI' });
  const check = (v: string): string => {
    if (!SERVICE_URI.test(v))
      throw new FieldValueError(
        `expected a STUN/TURN URI like turn:turn.example.org:3478?transport=udp, got ${show(v)}`,
      );
    return v;
  };
  return {
    ...base,
    type: 'STUN/TURN URI',
    fromJson: (v) => check(base.fromJson(v)),
    fromString: (v) => check(base.fromString(v)),
  };
}

export const extdiscoSchema: SchemaFor<ExtdiscoConfig> = {
  services: list(serviceUri(), {
    default: [],
    doc: 'STUN/TURN servers offered to clients through XEP-0215 (audio/video calls), as RFC 7064/7065 URIs: `stun:host:port`, `turn:host:port?transport=udp`, `turns:host:port?transport=tcp`. Empty: the feature is off.',
  }),
  secret: optionalStr({
    doc: 'Shared secret of the TURN server (coturn `use-auth-secret` / `static-auth-secret`): TURN services get time-limited credentials made with it (the TURN REST scheme). Prefer secretFile.',
  }),
  secretFile: fileKey('the TURN shared secret'),
  credentialTtlMs: durationMs({
    min: 60_000,
    max: 7 * 86_400_000,
    default: 86_400_000,
    doc: 'How long TURN credentials issued to a client stay valid.',
  }),
};
