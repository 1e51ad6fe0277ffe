/**
 * Runs an interop scenario script (test/interop/*.py) with Debian's
 * python3-slixmpp, which only /usr/bin/python3 sees. A script prints one JSON
 * object as its last stdout line: what it observed.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import { DEBIAN_PYTHON } from '@parley/testkit';

export const PYTHON = DEBIAN_PYTHON;

export interface ScenarioRun {
  code: number | null;
  /** The JSON object of the script's last stdout line ({} when there is none). */
  result: Record<string, unknown>;
  out: string;
  err: string;
}

/** Throws a clear error when the interpreter with slixmpp is missing. */
export function requirePython(): void {
  if (!existsSync(PYTHON))
    throw new Error(`${PYTHON} is missing: run scripts/install-test-deps.sh`);
}

/** Runs `interop/<script>` with `args` (e.g. the port) and parses its result line. */
export function runScenario(script: string, args: (string | number)[]): Promise<ScenarioRun> {
  const path = fileURLToPath(new URL(`./interop/${script}`, import.meta.url));
  return new Promise((resolve) => {
    const child = spawn(PYTHON, [path, ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => {
      let result: Record<string, unknown> = {};
      try {
        result = JSON.parse(out.trim().split('\n').pop() || '{}') as Record<string, unknown>;
      } catch {
        // not JSON: the assertions show the script's stderr
      }
      resolve({ code, result, out, err });
    });
  });
}
