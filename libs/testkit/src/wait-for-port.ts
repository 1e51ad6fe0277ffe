import { connect } from 'node:net';

/** Whether a TCP connection to host:port succeeds within `timeoutMs`. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface WaitForPortOptions {
  host?: string;
  /** Give up after this long (default 10000 ms). */
  timeoutMs?: number;
  /** Delay between attempts (default 25 ms). */
  intervalMs?: number;
  /** Polled between attempts; a string return value stops waiting with that reason. */
  abortReason?: () => string | undefined;
}

export type WaitForPortResult = { ok: true } | { ok: false; reason: string };

/** Polls until host:port accepts TCP connections. */
export async function waitForPort(
  port: number,
  opts: WaitForPortOptions = {},
): Promise<WaitForPortResult> {
  const host = opts.host ?? '127.0.0.1';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const aborted = opts.abortReason?.();
    if (aborted !== undefined) return { ok: false, reason: aborted };
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      return {
        ok: false,
        reason: `${host}:${port} did not accept connections within ${timeoutMs} ms`,
      };
    }
    if (await canConnect(port, host, Math.min(remaining, 1000))) return { ok: true };
    await new Promise((resolve) => setTimeout(resolve, Math.min(intervalMs, remaining)));
  }
}
