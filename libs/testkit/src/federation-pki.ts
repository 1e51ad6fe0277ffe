/**
 * Certificates for server-to-server (federation) tests: a throw-away CA and,
 * for every XMPP domain, a key and certificates as RFC 6120 section 13.7.1.2
 * describes them, plus "wrong" certificates for the negative cases. Made with
 * the `openssl` command line tool (EC P-256, valid 2 days), reusing the
 * helpers of {@link createTestPki}.
 */
import { join } from 'node:path';
import { findBinary } from './binaries.js';
import { TestkitError } from './errors.js';
import { removeTempDir, tempDir } from './temp-dir.js';
import { selfSignedCa, signed } from './test-pki.js';

/**
 * Parent domain of the test kit's federation test domains. It is under
 * example.net (RFC 2606: never a real service), which libunbound (Prosody's
 * resolver) does not answer itself, unlike the special-use names of RFC 6761
 * (`.test`, `.invalid`, `.localhost`, `.onion`, ...), for which it returns
 * NXDOMAIN without asking the configured server.
 */
export const FEDERATION_DOMAIN_SUFFIX = 'fed.example.net';

/** `<label>.fed.example.net`: a domain the kit's DNS server can serve to Prosody and ejabberd. */
export function federationDomain(label: string): string {
  return `${label}.${FEDERATION_DOMAIN_SUFFIX}`;
}

/** A key and certificates for one XMPP domain (all PEM files). */
export interface FederationCert {
  readonly domain: string;
  readonly keyFile: string;
  /**
   * Signed by the test CA: subjectAltName DNS:<domain>, DNS:*.<domain> (so
   * `conference.<domain>` is covered) and the XmppAddr otherName
   * (id-on-xmppAddr, UTF8String <domain>); extendedKeyUsage serverAuth,
   * clientAuth.
   */
  readonly certFile: string;
  /**
   * The same key and names without the XmppAddr otherName. ejabberd 23.01
   * (Debian's erlang-p1-xmpp 1.6.1) crashes the incoming s2s stream when it
   * checks a peer certificate for SASL EXTERNAL that carries an XmppAddr
   * domain (badarg in xmpp_stream_pkix:get_cert_domains/1), so a server that
   * ejabberd authenticates by certificate must present this one.
   */
  readonly dnsOnlyCertFile: string;
}

export interface FederationPki {
  readonly dir: string;
  /** The test CA that signed every certificate but `untrusted`. */
  readonly caFile: string;
  /** A second, unrelated self-signed CA (it signed `untrusted`). */
  readonly otherCaFile: string;
  /** Key and certificates per requested domain. */
  readonly domains: ReadonlyMap<string, FederationCert>;
  /** The certificates of `domain` (one of the requested domains; throws otherwise). */
  cert(domain: string): FederationCert;
  /** Signed by the test CA, but for `unrelatedDomain` only (wrong name). */
  readonly wrongDomain: FederationCert;
  /** Names every requested domain like `certFile`, but is signed by the unrelated CA. */
  readonly untrusted: FederationCert;
  /** Removes the directory with every key. */
  remove(): Promise<void>;
}

export interface FederationPkiOptions {
  /** XMPP domains (e.g. from {@link federationDomain}); each gets its own key. */
  domains: string[];
  /** Name of the `wrongDomain` certificate (default `unrelated.fed.example.net`). */
  unrelatedDomain?: string;
}

const DOMAIN = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

function extensions(domains: readonly string[], xmppAddr: boolean): string {
  const names = domains.flatMap((d) => [`DNS:${d}`, `DNS:*.${d}`]);
  if (xmppAddr) names.push(...domains.map((d) => `otherName:1.3.6.1.5.5.7.8.5;UTF8:${d}`));
  return [
    `subjectAltName=${names.join(',')}`,
    'extendedKeyUsage=serverAuth,clientAuth',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'basicConstraints=critical,CA:FALSE',
    '',
  ].join('\n');
}

/** Makes the CAs and certificates in a fresh temporary directory. */
export async function createFederationPki(opts: FederationPkiOptions): Promise<FederationPki> {
  const bin = findBinary('openssl');
  if (bin === undefined) throw new TestkitError('binary-not-found', 'openssl not found');
  const unrelated = opts.unrelatedDomain ?? federationDomain('unrelated');
  const requested = [...new Set(opts.domains.map((d) => d.toLowerCase()))];
  for (const d of [...requested, unrelated]) {
    if (!DOMAIN.test(d)) throw new TypeError(`not a DNS domain name: ${d}`);
  }
  if (requested.length === 0) throw new TypeError('createFederationPki needs at least one domain');
  if (requested.includes(unrelated)) {
    throw new TypeError(`${unrelated} is the unrelated domain; choose another unrelatedDomain`);
  }

  const dir = await tempDir('parley-fed-pki');
  const file = (name: string): string => join(dir, name);
  try {
    await selfSignedCa(bin, dir, 'ca');
    await selfSignedCa(bin, dir, 'other-ca');
    const domains = new Map<string, FederationCert>();
    for (const domain of requested) {
      const subject = `/CN=${domain}`;
      await signed(bin, dir, domain, extensions([domain], true), { subject });
      await signed(bin, dir, `${domain}-dns-only`, extensions([domain], false), {
        subject,
        keyFile: `${domain}.key`,
      });
      domains.set(domain, {
        domain,
        keyFile: file(`${domain}.key`),
        certFile: file(`${domain}.pem`),
        dnsOnlyCertFile: file(`${domain}-dns-only.pem`),
      });
    }

    await signed(bin, dir, 'wrong-domain', extensions([unrelated], true), {
      subject: `/CN=${unrelated}`,
    });
    await signed(bin, dir, 'wrong-domain-dns-only', extensions([unrelated], false), {
      subject: `/CN=${unrelated}`,
      keyFile: 'wrong-domain.key',
    });
    const first = requested[0] ?? '';
    await signed(bin, dir, 'untrusted', extensions(requested, true), {
      ca: 'other-ca',
      subject: `/CN=${first}`,
    });
    await signed(bin, dir, 'untrusted-dns-only', extensions(requested, false), {
      ca: 'other-ca',
      subject: `/CN=${first}`,
      keyFile: 'untrusted.key',
    });

    const wrongDomain: FederationCert = {
      domain: unrelated,
      keyFile: file('wrong-domain.key'),
      certFile: file('wrong-domain.pem'),
      dnsOnlyCertFile: file('wrong-domain-dns-only.pem'),
    };
    const untrusted: FederationCert = {
      domain: first,
      keyFile: file('untrusted.key'),
      certFile: file('untrusted.pem'),
      dnsOnlyCertFile: file('untrusted-dns-only.pem'),
    };
    return {
      dir,
      caFile: file('ca.pem'),
      otherCaFile: file('other-ca.pem'),
      domains,
      cert(domain: string): FederationCert {
        const found = domains.get(domain.toLowerCase());
        if (found === undefined) throw new TypeError(`no certificate for ${domain}`);
        return found;
      },
      wrongDomain,
      untrusted,
      remove: () => removeTempDir(dir),
    };
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}
