import { NS_MUC, NS_MUC_REQUEST, NS_MUC_STABLE_ID, NS_OCCUPANT_ID, NS_SID } from '../ns.js';
import type { Room } from '../room.js';
import type { MucModule } from './types.js';

/** The features that tell what kind of room this is (XEP-0045 6.4). */
export function roomTypeFeatures(room: Room): string[] {
  const c = room.config;
  return [
    c.public ? 'muc_public' : 'muc_hidden',
    c.persistent ? 'muc_persistent' : 'muc_temporary',
    c.membersOnly ? 'muc_membersonly' : 'muc_open',
    c.passwordProtected ? 'muc_passwordprotected' : 'muc_unsecured',
    c.moderated ? 'muc_moderated' : 'muc_unmoderated',
    c.whois === 'anyone' ? 'muc_nonanonymous' : 'muc_semianonymous',
  ];
}

/**
 * The room semantics of the service core (src/occupants.ts,
 * src/messages.ts, src/presence.ts): entering and leaving, presence,
 * groupchat and private messages, subject, invitations, voice requests,
 * occupant ids. They are the service itself, so this module only declares
 * them and advertises their features; it cannot be disabled (switch the
 * service off with `muc.enabled`).
 *
 * Every kept groupchat message gets its `<stanza-id by=room>` here: the
 * id is the archive id of a logged room (the core writes the archive with
 * the discussion history, which it rebuilds from the archive after a
 * restart), so XEP-0359 stays with the core; reading the archive is
 * muc-mam's.
 *
 * Requires muc-owner: a room entered with the MUC protocol is created
 * locked until its owner accepts or submits the configuration form
 * (XEP-0045 10.1), so without it no such room could ever open.
 */
export const mucCoreModule: MucModule = {
  name: 'muc-core',
  configSections: ['muc'],
  xeps: [
    {
      xep: '0045',
      title: 'Multi-User Chat',
      version: '1.35',
      note: 'rooms sharded over MUC workers; no in-band registration with rooms',
    },
    { xep: '0004', title: 'Data Forms', version: '2.13', note: 'voice requests' },
    {
      xep: '0249',
      title: 'Direct MUC Invitations',
      version: '1.2',
      note: 'routed as ordinary messages',
    },
    {
      xep: '0359',
      title: 'Unique and Stable Stanza IDs',
      version: '0.4.1',
      note: 'stanza-id on groupchat messages',
    },
    { xep: '0421', title: 'Occupant identifiers for semi-anonymous MUCs', version: '1.0.0' },
  ],
  requires: ['muc-owner'],
  register(ctx) {
    for (const f of [NS_MUC, NS_MUC_STABLE_ID, NS_MUC_REQUEST, NS_OCCUPANT_ID, NS_SID])
      ctx.roomFeature(f);
    ctx.roomFeature(roomTypeFeatures);
    ctx.serviceFeature(NS_MUC);
    // Every room has occupant ids, so the service says so too (XEP-0421).
    ctx.serviceFeature(NS_OCCUPANT_ID);
  },
};
