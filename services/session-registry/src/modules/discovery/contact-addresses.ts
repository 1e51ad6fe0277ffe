/**
 * XEP-0157: Contact Addresses for XMPP Services. The addresses configured
 * in `contact.*` (abuse, admin, feedback, sales, security, status,
 * support) are published in the server's disco#info as an XEP-0128 form
 * of FORM_TYPE `http://jabber.org/network/serverinfo`.
 * https://xmpp.org/extensions/xep-0157.html
 */
import type { ContactConfig } from '@parley/config';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { ServerModule } from '../types.js';

export const NS_SERVERINFO = 'http://jabber.org/network/serverinfo';

const ROLES: readonly (keyof ContactConfig)[] = [
  'abuse',
  'admin',
  'feedback',
  'sales',
  'security',
  'status',
  'support',
];

/** The serverinfo form of the configured addresses (roles without any are left out). */
export function serverInfoForm(contact: ContactConfig): Element {
  const form = xml(
    'x',
    { xmlns: 'jabber:x:data', type: 'result' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, NS_SERVERINFO)),
  );
  for (const role of ROLES) {
    const addresses = contact[role];
    if (addresses.length === 0) continue;
    form.append(
      xml(
        'field',
        { var: `${role}-addresses`, type: 'list-multi' },
        ...addresses.map((a) => xml('value', {}, a)),
      ),
    );
  }
  return form;
}

export const contactAddressesModule: ServerModule = {
  name: 'contact-addresses',
  configSections: ['contact'],
  xeps: [{ xep: '0157', title: 'Contact Addresses for XMPP Services', version: '1.1.1' }],
  enabled: (config) => ROLES.some((role) => config.contact[role].length > 0),
  register(ctx) {
    ctx.infoForm(serverInfoForm(ctx.config.contact));
  },
};
