/**
 * The `contact` section: the server's contact addresses (XEP-0157), shown
 * in the server's service discovery so that users and other servers know
 * whom to tell about abuse, security problems or outages.
 */
import { FieldValueError, list, show, str } from './schema.js';
import type { Field } from './schema.js';
import type { ContactConfig } from './contact-types.js';
import type { SchemaFor } from './types.js';

/** A URI a person or a program can use: mailto:, xmpp:, https:, http:, tel:, sip:. */
const URI =
  /^(mailto:[^\s@]+@[^\s@]+|xmpp:[^\s]+|https?:\/\/[^\s]+|tel:\+?[0-9().\- ]+|sips?:[^\s]+)$/i;

function uri(doc: string): Field<string> {
  const base = str({ default: '', doc });
  const check = (v: string): string => {
    if (!URI.test(v))
      throw new FieldValueError(
        `expected a mailto:, xmpp:, https:, http:, tel: or sip: address, got ${show(v)}`,
      );
    return v;
  };
  return {
    ...base,
    type: 'URI',
    fromJson: (v) => check(base.fromJson(v)),
    fromString: (v) => check(base.fromString(v)),
  };
}

const addresses = (who: string) =>
  list(uri('address'), {
    default: [],
    doc: `Addresses (mailto:, xmpp:, https:...) for ${who}.`,
  });

export const contactSchema: SchemaFor<ContactConfig> = {
  abuse: addresses('reports of abuse (spam, harassment) by users of this server'),
  admin: addresses('the server administrators'),
  feedback: addresses('feedback about the service'),
  sales: addresses('sales enquiries'),
  security: addresses('reports of security problems'),
  status: addresses('the status of the service (a status page, an announcement account)'),
  support: addresses("users' support requests"),
};
