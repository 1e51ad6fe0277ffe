/** What the MUC service implements, for the generated list of supported specifications. */
export interface MucXep {
  xep: string;
  title: string;
  version: string;
  note?: string;
}

export const mucXeps: readonly MucXep[] = [
  {
    xep: '0045',
    title: 'Multi-User Chat',
    version: '1.35',
    note: 'rooms sharded over MUC workers; no in-band registration with rooms',
  },
  { xep: '0004', title: 'Data Forms', version: '2.13', note: 'room configuration, voice requests' },
  { xep: '0128', title: 'Service Discovery Extensions', version: '1.0', note: 'muc#roominfo' },
  {
    xep: '0059',
    title: 'Result Set Management',
    version: '1.0.0',
    note: 'room list of the MUC service',
  },
  {
    xep: '0249',
    title: 'Direct MUC Invitations',
    version: '1.2',
    note: 'routed as ordinary messages',
  },
  { xep: '0313', title: 'Message Archive Management', version: '0.8.0', note: 'room archives' },
  {
    xep: '0359',
    title: 'Unique and Stable Stanza IDs',
    version: '0.4.1',
    note: 'stanza-id on groupchat messages',
  },
  { xep: '0410', title: "MUC Self-Ping (Schrödinger's Chat)", version: '1.0.1' },
  { xep: '0421', title: 'Occupant identifiers for semi-anonymous MUCs', version: '1.0.0' },
  { xep: '0486', title: 'MUC Avatars', version: '0.1.0', note: 'room vCard set by owners' },
];
