/**
 * XEP-0215: External Service Discovery. The STUN/TURN servers of
 * `extdisco.services`, for audio/video calls (Jingle, WebRTC), with
 * time-limited TURN credentials made with the TURN server's shared secret
 * (the TURN REST scheme coturn implements as `use-auth-secret`):
 * username = `<expiry unix seconds>:<bare JID>`,
 * password = base64(HMAC-SHA1(secret, username)).
 * Only users of this server get services and credentials.
 * https://xmpp.org/extensions/xep-0215.html
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ExtdiscoConfig } from '@parley/config';
import { ConfigError } from '@parley/config';
import { badRequest, forbidden, itemNotFound } from '@parley/stanza';
import { xml } from '@parley/xml';
import type { Element } from '@parley/xml';
import type { ServerModule } from '../types.js';

export const NS_EXTDISCO = 'urn:xmpp:extdisco:2';

/** One configured service, from its RFC 7064/7065 URI. */
export interface ExternalService {
  type: 'stun' | 'stuns' | 'turn' | 'turns';
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
}

const URI =
  /^(stuns?|turns?):(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?(?:\?transport=(udp|tcp))?$/i;

/** Parses `turn:host:port?transport=udp` (RFC 7065) or `stun:host:port` (RFC 7064). */
export function parseServiceUri(uri: string): ExternalService {
  const m = URI.exec(uri);
  if (!m) throw new TypeError(`not a STUN/TURN URI: ${uri}`);
  const type = m[1]!.toLowerCase() as ExternalService['type'];
  const secure = type === 'stuns' || type === 'turns';
  const host = m[2]!.replace(/^\[|\]$/g, '');
  const port = m[3] !== undefined ? Number(m[3]) : secure ? 5349 : 3478;
  const transport = (m[4]?.toLowerCase() ?? (secure ? 'tcp' : 'udp')) as 'udp' | 'tcp';
  return { type, host, port, transport };
}

const isTurn = (s: ExternalService): boolean => s.type === 'turn' || s.type === 'turns';

/** TURN REST credentials for `user`, valid until `expires` (ms since epoch). */
export function turnCredentials(
  secret: string,
  user: string,
  expires: number,
): { username: string; password: string } {
  const username = `${Math.floor(expires / 1000)}:${user}`;
  const password = createHmac('sha1', secret).update(username).digest('base64');
  return { username, password };
}

function secretOf(config: ExtdiscoConfig): string | undefined {
  if (config.secret !== undefined && config.secretFile !== undefined)
    throw new ConfigError(
      'invalid-value',
      'extdisco.secret and extdisco.secretFile: set only one',
      {
        key: 'extdisco.secret',
      },
    );
  if (config.secretFile === undefined) return config.secret;
  try {
    return readFileSync(config.secretFile, 'utf8').trim();
  } catch (cause) {
    throw new ConfigError(
      'bad-file',
      `extdisco.secretFile: cannot read ${config.secretFile}: ${(cause as Error).message}`,
      { key: 'extdisco.secretFile', cause },
    );
  }
}

export const extdiscoModule: ServerModule = {
  name: 'extdisco',
  configSections: ['extdisco'],
  xeps: [
    {
      xep: '0215',
      title: 'External Service Discovery',
      version: '1.0.0',
      note: 'STUN/TURN with time-limited TURN REST credentials',
    },
  ],
  enabled: (config) => config.extdisco.services.length > 0,
  register(ctx) {
    const services = ctx.config.extdisco.services.map(parseServiceUri);
    const secret = secretOf(ctx.config.extdisco);
    const ttl = ctx.config.extdisco.credentialTtlMs;
    const localDomains = new Set(ctx.config.server.domains);
    ctx.feature(NS_EXTDISCO);

    /** The <service/> of `s` for `user`, with credentials for a TURN service when a secret is set. */
    const serviceElement = (s: ExternalService, user: string, now: number): Element => {
      const el = xml('service', {
        type: s.type,
        host: s.host,
        port: String(s.port),
        transport: s.transport,
      });
      if (isTurn(s) && secret !== undefined) {
        const expires = now + ttl;
        const { username, password } = turnCredentials(secret, user, expires);
        el.setAttr('username', username);
        el.setAttr('password', password);
        el.setAttr('expires', new Date(Math.floor(expires / 1000) * 1000).toISOString());
        el.setAttr('restricted', '1');
      }
      return el;
    };

    const requester = (from: { domain: string; toBareString(): string }): string => {
      if (!localDomains.has(from.domain))
        throw forbidden('External services are for users of this server');
      return from.toBareString();
    };

    ctx.serverIq('get', NS_EXTDISCO, async ({ payload, from }) => {
      const user = requester(from);
      const now = Date.now();
      if (payload.localName === 'services') {
        const type = payload.attr('type');
        const out = xml(
          'services',
          type === undefined ? { xmlns: NS_EXTDISCO } : { xmlns: NS_EXTDISCO, type },
        );
        for (const s of services)
          if (type === undefined || s.type === type) out.append(serviceElement(s, user, now));
        return out;
      }
      if (payload.localName === 'credentials') {
        const wanted = payload.getChildren('service');
        if (wanted.length === 0) throw badRequest('Name the service: <service host type/>');
        const out = xml('credentials', { xmlns: NS_EXTDISCO });
        for (const w of wanted) {
          const host = w.attr('host');
          const type = w.attr('type');
          if (host === undefined || type === undefined)
            throw badRequest('A service needs its host and type');
          const port = w.attr('port');
          for (const s of services)
            if (
              s.host === host &&
              s.type === type &&
              (port === undefined || String(s.port) === port) &&
              isTurn(s) &&
              secret !== undefined
            )
              out.append(serviceElement(s, user, now));
        }
        if (out.getChildren('service').length === 0)
          throw itemNotFound('No credentials for that service here');
        return out;
      }
      throw badRequest('Expected <services/> or <credentials/>');
    });
  },
};
