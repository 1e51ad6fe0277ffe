/**
 * Socket event wiring without per-connection closures: the listeners are
 * module-level functions that find their connection through a symbol on the
 * socket (`this` is the socket in an EventEmitter listener).
 */
import type { Socket } from 'node:net';
import type { Connection } from './connection.js';

const kConnection = Symbol('parley.connection');

type OwnedSocket = Socket & { [kConnection]?: Connection };

function onData(this: OwnedSocket, chunk: Buffer): void {
  this[kConnection]?.onData(chunk);
}

function onClose(this: OwnedSocket): void {
  const conn = this[kConnection];
  if (conn === undefined) return;
  this[kConnection] = undefined;
  conn.onSocketClosed();
}

/** Errors (resets, TLS alerts) are followed by 'close'; nothing to do but not crash. */
function onError(this: OwnedSocket, _err: Error): void {}

export function attachSocket(socket: Socket, conn: Connection): void {
  (socket as OwnedSocket)[kConnection] = conn;
  socket.on('data', onData);
  socket.on('close', onClose);
  socket.on('error', onError);
}

/** Stops reading `socket` for its connection (before wrapping it in TLS); close and error stay wired. */
export function stopReading(socket: Socket): void {
  socket.pause();
  socket.off('data', onData);
}

export function connectionOf(socket: Socket): Connection | undefined {
  return (socket as OwnedSocket)[kConnection];
}
