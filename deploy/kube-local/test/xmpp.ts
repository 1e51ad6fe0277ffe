/** @xmpp/client helpers for the proof: log in against a domain on an address, wait for stanzas. */
import { client } from '@xmpp/client';
import type { Element } from '@xmpp/client';
import { expect } from 'vitest';

// Test clients only: the gateways serve a certificate from the generated CA
// (the pods themselves verify every link against it).
process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';

export type XmppClient = ReturnType<typeof client>;

export interface Login {
  /** xmpp://host:port (STARTTLS) or xmpps://host:port (direct TLS). */
  service: string;
  domain: string;
  username: string;
  password: string;
  resource?: string;
}

export async function login(opts: Login): Promise<XmppClient> {
  const xmpp = client({
    service: opts.service,
    domain: opts.domain,
    username: opts.username,
    password: opts.password,
    ...(opts.resource ? { resource: opts.resource } : {}),
  });
  xmpp.on('error', () => {});
  xmpp.reconnect.stop();
  await xmpp.start();
  return xmpp;
}

/** Resolves with the first stanza matching `pred` arriving after the call. */
export function waitFor(
  xmpp: XmppClient,
  pred: (el: Element) => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      xmpp.removeListener('stanza', on);
      reject(new Error(`${xmpp.jid?.toString() ?? '?'}: timed out waiting for ${what}`));
    }, timeoutMs);
    const on = (el: Element): void => {
      if (!pred(el)) return;
      clearTimeout(timer);
      xmpp.removeListener('stanza', on);
      resolve(el);
    };
    xmpp.on('stanza', on);
  });
}

/**
 * The session is bound to `bare` with a resource made from the one the client
 * asked for: @xmpp/client logs in with SASL2 and Bind2 (XEP-0386), where the
 * server generates the resource from the client's tag (`<tag>/<id>`).
 */
export function expectBound(xmpp: XmppClient, bare: string, tag: string): void {
  const jid = xmpp.jid?.toString() ?? '';
  expect(jid.startsWith(`${bare}/${tag}`), jid).toBe(true);
}
