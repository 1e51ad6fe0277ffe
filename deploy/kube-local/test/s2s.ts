/** A remote server's first step, for the proof: open a server-to-server stream and read the answer. */
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import type { PeerCertificate } from 'node:tls';

/** RFC 6120 4.7 / XEP-0220: what a remote server sends first. */
export function serverStreamHeader(to: string, from = 'remote.example'): string {
  return (
    `<?xml version='1.0'?><stream:stream xmlns='jabber:server' ` +
    `xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' ` +
    `to='${to}' from='${from}' version='1.0'>`
  );
}

export interface StreamAnswer {
  /** Everything received up to the end of <stream:features> (or a stream error). */
  text: string;
  /** The server's certificate, on direct TLS. */
  certificate?: PeerCertificate;
}

export interface OpenStream {
  host: string;
  port: number;
  /** What to write once connected. */
  header: string;
  /** Direct TLS, verified against this CA for this name. */
  tls?: { ca: string; servername: string };
  timeoutMs?: number;
}

/** Connects, writes the header and reads until </stream:features>, a stream error or the end. */
export function openStream(opts: OpenStream): Promise<StreamAnswer> {
  return new Promise((resolve, reject) => {
    let text = '';
    let done = false;
    const socket: Socket = opts.tls
      ? tlsConnect({
          host: opts.host,
          port: opts.port,
          ca: opts.tls.ca,
          servername: opts.tls.servername,
          // Explicit: the XMPP test clients turn verification off process-wide.
          rejectUnauthorized: true,
        })
      : connect({ host: opts.host, port: opts.port });
    const finish = (err?: Error): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const certificate =
        opts.tls && 'getPeerCertificate' in socket
          ? (socket as ReturnType<typeof tlsConnect>).getPeerCertificate()
          : undefined;
      socket.destroy();
      if (err) reject(err);
      else resolve({ text, ...(certificate ? { certificate } : {}) });
    };
    const timer = setTimeout(
      () =>
        finish(new Error(`${opts.host}:${opts.port}: no complete answer in time; got: ${text}`)),
      opts.timeoutMs ?? 10_000,
    );
    socket.once(opts.tls ? 'secureConnect' : 'connect', () => socket.write(opts.header));
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      if (/<\/stream:features>|<stream:features\/>|<\/stream:error>/.test(text)) finish();
    });
    socket.on('error', (err) => finish(err));
    socket.on('close', () => finish());
  });
}

/** <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'> (either quote) inside <stream:features>. */
export const STARTTLS_FEATURE =
  /<stream:features>.*<starttls\s+xmlns=(['"])urn:ietf:params:xml:ns:xmpp-tls\1/s;
