/**
 * Runs the phone of the XEP-0357 interop scenario (interop/slixmpp_push.py)
 * with Debian's slixmpp, stepping it through stdin/stdout: `onDropped` runs
 * once the phone's socket is gone (the scenario waits for it), `onSent`
 * after the contact's message; each resolves when the test saw what it
 * waits for.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './slixmpp-runner.js';

export interface PhoneRun {
  code: number | null;
  result: Record<string, unknown>;
  err: string;
}

export function runPhone(
  args: (string | number)[],
  onDropped: () => Promise<void>,
  onSent: () => Promise<void>,
): Promise<PhoneRun> {
  const script = fileURLToPath(new URL('./interop/slixmpp_push.py', import.meta.url));
  const child = spawn(PYTHON, [script, ...args.map(String)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  let last = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const go = (hook: () => Promise<void>) =>
    hook().then(
      () => child.stdin.write('go\n'),
      (e: unknown) => {
        err += `\n[test] ${String(e)}`;
        child.stdin.end();
      },
    );
  lines.on('line', (line) => {
    last = line;
    if (line.includes('"step": "dropped"')) void go(onDropped);
    else if (line.includes('"step": "sent"')) void go(onSent);
  });
  return new Promise((resolve) => {
    child.on('close', (code) => {
      let result: Record<string, unknown> = {};
      try {
        result = JSON.parse(last) as Record<string, unknown>;
      } catch {
        // the assertions show stderr
      }
      resolve({ code, result, err });
    });
  });
}
