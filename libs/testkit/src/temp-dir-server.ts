/**
 * Plumbing shared by the kit's servers that live in a temporary directory
 * (dnsmasq, Prosody, ejabberd): the directory is removed when the start
 * fails; stop() stops the process, then removes the directory, once.
 */
import type { ServerProcess } from './server-process.js';
import { removeTempDir, tempDir } from './temp-dir.js';
import type { XmppPeer, XmppPeerOptions } from './xmpp-peer.js';

/** Calls `start` with a new temporary directory `<prefix>-…`, which is removed again if it throws. */
export async function startInTempDir<T>(
  prefix: string,
  start: (dir: string) => Promise<T>,
): Promise<T> {
  const dir = await tempDir(prefix);
  try {
    return await start(dir);
  } catch (err) {
    await removeTempDir(dir);
    throw err;
  }
}

/** stop() of a server in `dir`: stops `proc`, then removes `dir`; later calls share the first. */
export function stopAndRemove(proc: ServerProcess, dir: string): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      await proc.stop();
      await removeTempDir(dir);
    })());
}

/** The handle of a started Prosody or ejabberd for `opts` in `files.dir`. */
export function runningPeer(
  opts: XmppPeerOptions,
  ports: { c2sPort: number; s2sPort: number },
  proc: ServerProcess,
  files: { dir: string; configFile: string; logFile: string },
): XmppPeer {
  return {
    domain: opts.domain,
    mucDomain: opts.muc === true ? `conference.${opts.domain}` : undefined,
    host: '127.0.0.1',
    ...ports,
    pid: proc.pid,
    ...files,
    output: () => proc.output(),
    stop: stopAndRemove(proc, files.dir),
  };
}
