/**
 * Self-test of the federation peers: the kit's DNS server, a Prosody and an
 * ejabberd with certificates from the federation PKI; a user of the Prosody
 * domain writes to a user of the ejabberd domain (slixmpp, through
 * federation_chat.py) and gets the reply. Once with dialback, once with
 * certificates (SASL EXTERNAL).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createFederationPki,
  federationDomain,
  hasBinary,
  reserveXmppPorts,
  startDnsServer,
  startEjabberd,
  startProsody,
  xmppDnsRecords,
  hasPythonModule,
  DEBIAN_PYTHON,
} from '../src/index.js';
import type { DnsServer, FederationPki, S2sAuth, XmppPeer, XmppPeerOptions } from '../src/index.js';

const run = promisify(execFile);
const PYTHON = DEBIAN_PYTHON;
const CHAT_SCRIPT = fileURLToPath(new URL('./federation_chat.py', import.meta.url));

const canRun =
  process.getuid?.() === 0 &&
  ['prosody', 'prosodyctl', 'erl', 'ejabberdctl', 'dnsmasq', 'unshare', 'openssl'].every((b) =>
    hasBinary(b),
  ) &&
  hasPythonModule('slixmpp');

interface ChatResult {
  ok: boolean;
  error?: string;
  received?: { from: string; to: string; type: string; body: string };
  reply?: { from: string; to: string; type: string; body: string };
}

async function chat(spec: object): Promise<ChatResult> {
  let stdout: string;
  try {
    ({ stdout } = await run(PYTHON, [CHAT_SCRIPT, JSON.stringify(spec)], { timeout: 40_000 }));
  } catch (err) {
    stdout = (err as { stdout?: string }).stdout ?? '';
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(last) as ChatResult;
  } catch {
    return { ok: false, error: `no result line; stdout: ${stdout}` };
  }
}

const MODES = ['dialback', 'certificates'] as const satisfies readonly S2sAuth[];
const prosodyDomain = (mode: S2sAuth): string => federationDomain(`prosody-${mode}`);
const ejabberdDomain = (mode: S2sAuth): string => federationDomain(`ejabberd-${mode}`);

describe.skipIf(!canRun)('federation peers (Prosody, ejabberd, dnsmasq)', () => {
  let pki: FederationPki;
  let dns: DnsServer;
  const ports = new Map<string, { c2sPort: number; s2sPort: number }>();
  const domains = MODES.flatMap((m) => [prosodyDomain(m), ejabberdDomain(m)]);

  beforeAll(async () => {
    pki = await createFederationPki({ domains });
    for (const d of domains) ports.set(d, await reserveXmppPorts());
    dns = await startDnsServer({
      records: domains.flatMap((d) =>
        xmppDnsRecords(d, { ...ports.get(d), subdomains: [`conference.${d}`] }),
      ),
    });
  });

  afterAll(async () => {
    await dns?.stop();
    await pki?.remove();
  });

  /** A peer for `domain` on its reserved ports, with TLS (`certFile`), MUC and the user `user`. */
  const peerOptions = (
    domain: string,
    certFile: string,
    user: string,
    s2sAuth: S2sAuth,
  ): XmppPeerOptions => ({
    domain,
    ...ports.get(domain),
    dns,
    tls: { certFile, keyFile: pki.cert(domain).keyFile, caFile: pki.caFile },
    users: [{ user, password: `${user}-secret` }],
    muc: true,
    s2sAuth,
  });

  it('the DNS server answers the test domains only', async () => {
    const { Resolver } = await import('node:dns/promises');
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([dns.host]);
    const d = prosodyDomain('dialback');
    expect(await resolver.resolve4(d)).toEqual(['127.0.0.1']);
    expect(await resolver.resolveSrv(`_xmpp-server._tcp.conference.${d}`)).toEqual([
      { name: d, port: ports.get(d)?.s2sPort, priority: 0, weight: 0 },
    ]);
    await expect(resolver.resolve4(federationDomain('nobody'))).rejects.toMatchObject({
      code: 'ENOTFOUND',
    });
    await expect(resolver.resolve4('example.com')).rejects.toMatchObject({ code: 'EREFUSED' });
    expect(readFileSync(dns.resolvConfFile, 'utf8')).toContain(`nameserver ${dns.host}\n`);
  });

  it('the PKI: per-domain certificates from the test CA, and the two wrong ones', async () => {
    const verify = async (ca: string, cert: string): Promise<boolean> =>
      run('openssl', ['verify', '-CAfile', ca, cert]).then(
        () => true,
        () => false,
      );
    const text = async (cert: string): Promise<string> =>
      (await run('openssl', ['x509', '-in', cert, '-noout', '-text'])).stdout;
    const d = prosodyDomain('certificates');
    const own = pki.cert(d);
    expect(await verify(pki.caFile, own.certFile)).toBe(true);
    expect(await verify(pki.caFile, own.dnsOnlyCertFile)).toBe(true);
    const san = await text(own.certFile);
    expect(san).toContain(`DNS:${d}, DNS:*.${d}, othername: XmppAddr::${d}`);
    expect(san).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(await text(own.dnsOnlyCertFile)).not.toContain('XmppAddr');
    expect(await verify(pki.caFile, pki.wrongDomain.certFile)).toBe(true);
    expect(await text(pki.wrongDomain.certFile)).not.toContain(d);
    expect(await verify(pki.caFile, pki.untrusted.certFile)).toBe(false);
    expect(await verify(pki.otherCaFile, pki.untrusted.certFile)).toBe(true);
    expect(await text(pki.untrusted.certFile)).toContain(`DNS:${d}`);
  });

  it.each(MODES)(
    '%s: a message from a Prosody user to an ejabberd user, and the reply',
    async (mode) => {
      const a = prosodyDomain(mode);
      const b = ejabberdDomain(mode);
      const peers: XmppPeer[] = [];
      try {
        const started = (p: XmppPeer): XmppPeer => (peers.push(p), p);
        const [prosody, ejabberd] = await Promise.all([
          // ejabberd 23.01 cannot check a certificate with an XmppAddr (see FederationCert).
          startProsody(peerOptions(a, pki.cert(a).dnsOnlyCertFile, 'alice', mode)).then(started),
          startEjabberd(peerOptions(b, pki.cert(b).certFile, 'bob', mode)).then(started),
        ]);

        const body = `hello over ${mode}`;
        const result = await chat({
          ca: pki.caFile,
          sender: { jid: `alice@${a}`, password: 'alice-secret', port: prosody.c2sPort },
          receiver: { jid: `bob@${b}`, password: 'bob-secret', port: ejabberd.c2sPort },
          body,
          timeout: 15,
        });
        const logs = (): string =>
          `prosody:\n${readFileSync(prosody.logFile, 'utf8').slice(-6000)}\nejabberd:\n${ejabberd.output()}`;
        expect(result, result.ok ? '' : logs()).toMatchObject({
          ok: true,
          received: { to: `bob@${b}`, type: 'chat', body },
          reply: { to: expect.stringMatching(new RegExp(`^alice@${a.replace(/\./g, '\\.')}/`)) },
        });
        expect(result.received?.from).toMatch(new RegExp(`^alice@${a.replace(/\./g, '\\.')}/`));

        // Both directions authenticated the way the mode says (Prosody logs both).
        const prosodyLog = readFileSync(prosody.logFile, 'utf8');
        const external = [
          `SASL EXTERNAL with ${b} succeeded`,
          `Accepting SASL EXTERNAL identity from ${b}`,
        ];
        const dialback = /<db:result [^\n]*type='valid'/;
        if (mode === 'certificates') {
          for (const line of external) expect(prosodyLog).toContain(line);
          expect(prosodyLog).not.toMatch(dialback);
        } else {
          // ejabberd offers EXTERNAL anyway; it fails (test CA not trusted) and dialback follows.
          for (const line of external) expect(prosodyLog).not.toContain(line);
          expect(prosodyLog).toMatch(dialback);
        }

        // Both servers asked the kit's dnsmasq: SRV (libunbound; Erlang inet_res) and
        // A (ejabberd's glibc getaddrinfo, through its private /etc/resolv.conf).
        const queries = readFileSync(dns.logFile, 'utf8');
        expect(queries).toContain(`query[SRV] _xmpp-server._tcp.${b} from 127.0.0.1`);
        expect(queries).toContain(`query[SRV] _xmpp-server._tcp.${a} from 127.0.0.1`);
        expect(queries).toContain(`query[A] ${a} from 127.0.0.1`);
      } finally {
        await Promise.all(peers.map((p) => p.stop()));
      }
    },
    45_000,
  );
});
