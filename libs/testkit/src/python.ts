/**
 * Debian's Python, the one that sees Debian's python3-* packages (slixmpp,
 * aioxmpp); a pyenv or venv python earlier on PATH does not.
 */
import { execFileSync } from 'node:child_process';

export const DEBIAN_PYTHON = '/usr/bin/python3';

const known = new Map<string, boolean>();

/** Whether Debian's Python can import `module` (e.g. `slixmpp`, `slixmpp.componentxmpp`); cached. */
export function hasPythonModule(module: string): boolean {
  let ok = known.get(module);
  if (ok === undefined) {
    try {
      execFileSync(DEBIAN_PYTHON, ['-c', `import ${module}`], { stdio: 'ignore', timeout: 20_000 });
      ok = true;
    } catch {
      ok = false;
    }
    known.set(module, ok);
  }
  return ok;
}
