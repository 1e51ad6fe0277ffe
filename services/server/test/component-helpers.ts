/**
 * The XEP-0114 echo component (interop/component_echo.py, Debian's
 * python3-slixmpp ComponentXMPP) as a child process, for the component tests.
 */
import { spawn } from 'node:child_process';
import { hasPythonModule } from '@parley/testkit';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './slixmpp-runner.js';

const SCRIPT = fileURLToPath(new URL('./interop/component_echo.py', import.meta.url));

/** /usr/bin/python3 has slixmpp's ComponentXMPP. */
export const haveSlixmppComponent = hasPythonModule('slixmpp.componentxmpp');

/** The running component script: its JSON lines so far and its exit. */
export interface Component {
  proc: ChildProcess;
  lines: Record<string, unknown>[];
  err: string;
  exit: Promise<number | null>;
}

/** Starts the echo component for `domain` against the component listener on `port`. */
export function startComponent(port: number, domain: string, secret: string): Component {
  const proc = spawn(PYTHON, [SCRIPT, String(port), domain, secret], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const c: Component = { proc, lines: [], err: '', exit: Promise.resolve(null) };
  let buf = '';
  proc.stdout!.setEncoding('utf8');
  proc.stdout!.on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      try {
        c.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not one of the script's JSON lines
      }
    }
  });
  proc.stderr!.setEncoding('utf8');
  proc.stderr!.on('data', (d: string) => (c.err += d));
  c.exit = new Promise((resolve) => proc.on('close', (code) => resolve(code)));
  return c;
}

/** Resolves with the exit code, or 'timeout'. */
export async function exited(c: Component, ms: number): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    c.exit,
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms))),
  ]).finally(() => clearTimeout(timer));
}

/** The script's last JSON line (its result once it has exited). */
export const last = (c: Component): Record<string, unknown> => c.lines[c.lines.length - 1] ?? {};

/** Stops a component that is still running (SIGKILL) and waits for it. */
export async function killComponent(c: Component): Promise<void> {
  if (c.proc.exitCode === null && c.proc.signalCode === null) {
    c.proc.kill('SIGKILL');
    await c.exit;
  }
}
