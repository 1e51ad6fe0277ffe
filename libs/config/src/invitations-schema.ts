/** Schema of the keys in invitations-types.ts (registration.invitations). */
import { bool, durationMs, list, optionalStr, str } from './schema.js';
import type { InvitationsConfig } from './invitations-types.js';
import type { SchemaFor } from './types.js';

export const invitationsSchema: SchemaFor<InvitationsConfig> = {
  required: bool({
    default: false,
    doc: 'In-band registration needs an invitation: the client sends its token first (XEP-0445, `<preauth xmlns="urn:xmpp:pars:0"/>`), and a registration without a valid one is refused with forbidden. Needs registration.enabled. Invitations come from users (ad-hoc command urn:xmpp:invite#invite, XEP-0401) and the admin API (createInvitation).',
  }),
  ttlMs: durationMs({
    min: 60_000,
    max: 31_536_000_000,
    default: 604_800_000,
    doc: 'How long a new invitation is valid (default 7 days); an admin API request may ask for less. Each token is used once.',
  }),
  userInvites: bool({
    default: false,
    doc: "Every local user's invitation (urn:xmpp:invite#invite) also lets the invitee register an account on the server (`ibr=y`); otherwise only those of registration.invitations.admins do, and other users' invitations only pre-approve a subscription (XEP-0379).",
  }),
  admins: list(str({ default: '', doc: 'bare JID' }), {
    default: [],
    doc: 'Bare JIDs who may create account invitations (ad-hoc command urn:xmpp:invite#create-account) and whose contact invitations always allow registering.',
  }),
  landingUrl: optionalStr({
    doc: 'Landing page of an invitation (XEP-0401 landing-url), with `{token}` replaced by the token, e.g. https://example.org/invite/#{token}; unset: only the xmpp: URI is given.',
  }),
};
