/**
 * Reads a PROXY protocol header off a freshly accepted socket, before anyone
 * else (the XMPP framer, the TLS server) sees its bytes. The header may come
 * in any number of packets; bytes after it (a stream header, a TLS
 * ClientHello sent in the same packet) are put back into the socket
 * (`unshift`) for its next reader. The socket is read in paused mode, so it
 * is left neither flowing nor paused: a `data` listener or a TLS wrap picks
 * up from exactly after the header.
 */
import type { Readable } from 'node:stream';
import { parseProxyHeader } from './header.js';
import type { ProxyHeader } from './header.js';

export type ProxyReadFailure =
  /** Bytes that are no PROXY header at all (a client talking XMPP or TLS directly). */
  | 'missing'
  /** A header that breaks the specification. */
  | 'invalid'
  /** Not complete within the timeout. */
  | 'timeout'
  /** The peer closed (or the socket failed) before the header was complete. */
  | 'closed';

export type ProxyReadResult =
  { ok: true; header: ProxyHeader } | { ok: false; failure: ProxyReadFailure; reason: string };

export interface ProxyReadOptions {
  timeoutMs: number;
}

/**
 * Calls `done` exactly once, with the header or with why there is none; on
 * failure the socket is left as it is (the caller destroys it). Listeners and
 * the timer are removed before `done` runs.
 */
export function readProxyHeader(
  socket: Readable,
  opts: ProxyReadOptions,
  done: (result: ProxyReadResult) => void,
): void {
  let received: Buffer = Buffer.alloc(0);
  let finished = false;

  const finish = (result: ProxyReadResult): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('readable', onReadable);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.off('error', onError);
    done(result);
  };
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while (!finished && (chunk = socket.read() as Buffer | null) !== null) {
      received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
      const parsed = parseProxyHeader(received);
      if (parsed.status === 'incomplete') continue;
      if (parsed.status === 'invalid') {
        finish({
          ok: false,
          failure: parsed.missing ? 'missing' : 'invalid',
          reason: parsed.reason,
        });
        return;
      }
      const rest = received.subarray(parsed.length);
      // Put back what follows the header before anyone else can read.
      if (rest.length > 0) socket.unshift(rest);
      finish({ ok: true, header: parsed.header });
      return;
    }
  };
  const onEnd = (): void =>
    finish({ ok: false, failure: 'closed', reason: 'closed before the PROXY header was complete' });
  const onError = (err: Error): void =>
    finish({ ok: false, failure: 'closed', reason: `socket error: ${err.message}` });
  const timer = setTimeout(
    () =>
      finish({
        ok: false,
        failure: 'timeout',
        reason: `no complete PROXY header within ${opts.timeoutMs} ms`,
      }),
    opts.timeoutMs,
  );
  timer.unref?.();
  socket.on('readable', onReadable);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
  socket.on('error', onError);
}
